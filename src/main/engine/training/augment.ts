/**
 * The training views of an image, as the authors' pipeline makes them (Dassl's `random_resized_crop` + `random_flip`
 * with its defaults: torchvision RandomResizedCrop(size, scale=(0.08, 1.0), ratio=(3/4, 4/3), bicubic), flip with
 * probability 0.5), and the evaluation view (resize the shorter side, centre crop: preprocess.ts). Each augmented view
 * is drawn from a generator seeded by (seed, image hash, view index), so a cached view can be recomputed exactly.
 */
import sharp from 'sharp';
import { badInput } from '@shared/errors';
import { modelPixels } from '../imaging/model-pixels';
import { Prng } from '../model/prng';
import { preprocessImage, type RawPixels } from '../model/preprocess';

export interface AugmentOptions {
  /** Area fraction range of the crop (Dassl's INPUT.RRCROP_SCALE default). */
  scale: readonly [number, number];
  /** Aspect ratio range (torchvision's default). */
  ratio: readonly [number, number];
  /** Mirror left-right with probability 0.5. */
  flip: boolean;
}

export const defaultAugment: AugmentOptions = { scale: [0.08, 1], ratio: [3 / 4, 4 / 3], flip: true };

export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
  flip: boolean;
}

/** torchvision's RandomResizedCrop.get_params: ten tries at a random area and ratio, else a ratio-clamped centre crop. */
export function sampleCrop(width: number, height: number, options: AugmentOptions, rng: Prng): CropBox {
  const area = width * height;
  const [lo, hi] = options.scale;
  const logRatio = [Math.log(options.ratio[0]), Math.log(options.ratio[1])] as const;
  const uniform = (a: number, b: number): number => a + (b - a) * rng.nextFloat();
  let box: Omit<CropBox, 'flip'> | undefined;
  for (let attempt = 0; attempt < 10 && !box; attempt++) {
    const target = area * uniform(lo, hi);
    const aspect = Math.exp(uniform(logRatio[0], logRatio[1]));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      box = {
        left: Math.floor(rng.nextFloat() * (width - w + 1)),
        top: Math.floor(rng.nextFloat() * (height - h + 1)),
        width: w,
        height: h,
      };
    }
  }
  if (!box) {
    const inRatio = width / height;
    let w = width;
    let h = height;
    if (inRatio < options.ratio[0]) h = Math.round(w / options.ratio[0]);
    else if (inRatio > options.ratio[1]) w = Math.round(h * options.ratio[1]);
    box = { left: Math.floor((width - w) / 2), top: Math.floor((height - h) / 2), width: w, height: h };
  }
  return { ...box, flip: options.flip && rng.nextFloat() < 0.5 };
}

export interface ViewPreprocessing {
  size: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/**
 * What the model sees of an image file: its display pixels (DICOM through its default window, orientation applied)
 * as 8-bit RGB, the same pixels the clinician sees (imaging/model-pixels.ts).
 */
export async function decodeForModel(bytes: Uint8Array, name: string): Promise<RawPixels> {
  try {
    const p = await modelPixels(bytes);
    return { data: p.data, width: p.width, height: p.height, channels: 3 };
  } catch (err) {
    throw badInput(`${name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
}

/** The evaluation view: `[3, S, S]`. */
export function centerView(rgb: RawPixels, p: ViewPreprocessing, name: string): Promise<Float32Array> {
  return preprocessImage(rgb, { size: p.size, mean: p.mean, std: p.std }, name);
}

/** One augmented view: the crop resized to `S x S` (bicubic), maybe mirrored, normalised: `[3, S, S]`. */
export async function augmentedView(
  rgb: RawPixels,
  box: CropBox,
  p: ViewPreprocessing,
  name: string,
): Promise<Float32Array> {
  let pipeline = sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .extract({ left: box.left, top: box.top, width: box.width, height: box.height })
    .resize(p.size, p.size, { fit: 'fill', kernel: 'cubic' });
  if (box.flip) pipeline = pipeline.flop();
  const data = await pipeline.raw().toBuffer();
  const crop: RawPixels = {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: p.size,
    height: p.size,
    channels: 3,
  };
  // Already S x S: preprocessImage only normalises.
  return preprocessImage(crop, { size: p.size, mean: p.mean, std: p.std }, name);
}
