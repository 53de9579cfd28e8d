/** The windows a DICOM file offers (Window Center/Width with their explanations), in the file's order. */
import type { DicomAttributes } from './dicom-attributes';
import type { WindowPreset } from './decoded-image';
import { usableWindow, voiFunction } from './voi';

/** The windows the file offers, in its order, paired with their explanations; unusable pairs are left out. */
export function windowPresets(
  a: Pick<DicomAttributes, 'windowCenter' | 'windowWidth' | 'windowExplanation' | 'voiLutFunction'>,
): WindowPreset[] {
  const fn = voiFunction(a.voiLutFunction);
  const out: WindowPreset[] = [];
  const n = Math.min(a.windowCenter.length, a.windowWidth.length);
  for (let i = 0; i < n; i++) {
    const w = usableWindow(a.windowCenter[i]!, a.windowWidth[i]!, fn);
    if (w) out.push({ center: w.center, width: w.width, explanation: a.windowExplanation[i] || null });
  }
  return out;
}
