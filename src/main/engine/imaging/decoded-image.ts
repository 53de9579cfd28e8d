/** One decoded frame, before display: what DICOM and ordinary images have in common. */
import type { Lut } from './dicom-luts';
import type { VoiFunction } from './voi';

/** A window the file offers (DICOM Window Center/Width, with its explanation when given). */
export interface WindowPreset {
  center: number;
  width: number;
  explanation: string | null;
}

export interface GrayImage {
  kind: 'gray';
  width: number;
  height: number;
  /** Modality values (stored values through rescale or the Modality LUT), row-major. */
  values: Float32Array;
  /** MONOCHROME1: low values are bright; inverted after the VOI transform. */
  monochrome1: boolean;
  /** Windows offered by the file, first is the default. */
  windows: WindowPreset[];
  voiFunction: VoiFunction;
  /** VOI LUT Sequence tables, used when the file offers no window. */
  voiLuts: Lut[];
  /** The range of values the format can hold (0..255 for 8-bit images); null: use the values' own range. */
  naturalRange: { min: number; max: number } | null;
  /** Modality value of padding pixels, left out of the full-range window. */
  paddingValue: number | null;
}

export interface RgbImage {
  kind: 'rgb';
  width: number;
  height: number;
  /** Interleaved 8-bit RGB. */
  data: Uint8Array;
}

export type DecodedImage = GrayImage | RgbImage;
