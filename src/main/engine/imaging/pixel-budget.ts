/**
 * The pixel budget: the largest frame the workstation decodes, checked from the header before any pixel buffer is
 * allocated, so a file that claims 65535 x 65535 pixels (or a decompression bomb) is refused instead of exhausting
 * memory.
 *
 * 8192 x 8192 = 64 Mi pixels per frame. The largest images in the intended use (digital mammography about
 * 4096 x 5120, full-field radiographs about 4300 x 4300, dermatoscope photographs up to about 50 megapixels) fit with
 * room to spare. At the budget, one decoded frame takes at most 256 MiB as modality values (Float32) plus 192 MiB as
 * 8-bit RGB display pixels. Multi-frame files are decoded one frame at a time, so the budget is per frame.
 */
import { badInput } from '@shared/errors';

export const PIXEL_BUDGET = 8192 * 8192;

const megapixels = (n: number): string => `${(n / 1e6).toFixed(n < 1e8 ? 1 : 0)} megapixels`;

/** Throws badInput when a frame of width x height exceeds the budget. `what` names the image ("DICOM image", "PNG"). */
export function assertWithinPixelBudget(width: number, height: number, what: string): void {
  const pixels = width * height;
  if (pixels > PIXEL_BUDGET) {
    throw badInput(
      `${what} of ${width} x ${height} pixels (${megapixels(pixels)}) exceeds the pixel budget of ` +
        `${megapixels(PIXEL_BUDGET)} per frame`,
    );
  }
}
