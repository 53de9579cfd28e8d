/**
 * The CLIP model input as a picture: model pixels through the CLIP preprocessing (shortest edge resize, center crop,
 * normalisation), then the normalisation undone, so a person can see exactly the square the model looks at.
 */
import { CLIP_MEAN, CLIP_STD, preprocessImage, type PreprocessOptions } from '../model/preprocess';
import type { RgbPixels } from './model-pixels';

export async function modelInputView(pixels: RgbPixels, options: PreprocessOptions): Promise<RgbPixels> {
  const chw = await preprocessImage(pixels, options);
  const size = options.size;
  const plane = size * size;
  const mean = options.mean ?? CLIP_MEAN;
  const std = options.std ?? CLIP_STD;
  const data = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const m = mean[c]!;
    const s = std[c]!;
    for (let i = 0; i < plane; i++) {
      const v = Math.round((chw[c * plane + i]! * s + m) * 255);
      data[i * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return { data, width: size, height: size, channels: 3 };
}
