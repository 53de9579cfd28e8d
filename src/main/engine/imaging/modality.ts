/** The modality transform (PS3.3 C.11.1): stored values to modality values, by the Modality LUT or rescale. */
import type { DicomAttributes } from './dicom-attributes';
import { lookUp, type Lut } from './dicom-luts';

/** Stored values to modality values in place (the loop runs over every pixel: no call per pixel for rescale). */
export function applyModality(values: Float32Array, a: DicomAttributes, lut: Lut | null): void {
  if (lut) {
    for (let i = 0; i < values.length; i++) values[i] = lookUp(lut, values[i]!);
    return;
  }
  const slope = a.rescaleSlope === 0 ? 1 : a.rescaleSlope;
  const intercept = a.rescaleIntercept;
  if (slope === 1 && intercept === 0) return;
  for (let i = 0; i < values.length; i++) values[i] = values[i]! * slope + intercept;
}

/** Stored value to modality value: the Modality LUT when present, else rescale slope and intercept. */
export function modalityTransform(a: DicomAttributes, lut: Lut | null): (v: number) => number {
  if (lut) return (v) => lookUp(lut, v);
  const slope = a.rescaleSlope === 0 ? 1 : a.rescaleSlope;
  const intercept = a.rescaleIntercept;
  return slope === 1 && intercept === 0 ? (v) => v : (v) => v * slope + intercept;
}
