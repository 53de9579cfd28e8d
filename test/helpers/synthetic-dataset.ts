/**
 * A small, deterministic, class-separable image dataset for training tests: `<root>/{train,val,test}/<class>/*.png`.
 * Class "round spot": a bright disc (random place and size) on a dark, noisy background. Class "striped": light and
 * dark bands of random period and angle. The two differ in brightness, layout and texture, so even a random-weight
 * CLIP's image features separate them; which class an image belongs to is never in doubt.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { Prng } from '../../src/main/engine/model/prng';

export const syntheticClasses = ['round spot', 'striped'] as const;

/** A symptom set for the synthetic classes (plain visual words, no class names). */
export const syntheticSymptoms: Record<string, string[]> = {
  'round spot': [
    'a bright round disc on a dark background',
    'one small white circle',
    'smooth dark surroundings',
    'a sharp circular edge',
  ],
  striped: [
    'parallel light and dark stripes',
    'a repeating line pattern',
    'even texture across the whole image',
    'straight bands crossing the image',
  ],
};

export interface SyntheticOptions {
  /** Images per class in each split. */
  perClass: Partial<Record<'train' | 'val' | 'test', number>>;
  size?: number;
  seed?: number;
}

/** Gray pixels of one image of class `label` (0 = round spot, 1 = striped). */
export function syntheticPixels(label: number, size: number, rng: Prng): Uint8Array {
  const px = new Uint8Array(size * size);
  if (label === 0) {
    const r = size * (0.15 + 0.15 * rng.nextFloat());
    const cx = r + (size - 2 * r) * rng.nextFloat();
    const cy = r + (size - 2 * r) * rng.nextFloat();
    const bg = 20 + 40 * rng.nextFloat();
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const inside = (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
        const v = inside ? 215 + 40 * rng.nextFloat() : bg + 20 * rng.nextFloat();
        px[y * size + x] = Math.min(255, Math.round(v));
      }
    }
  } else {
    const period = 5 + 7 * rng.nextFloat();
    const angle = Math.PI * rng.nextFloat();
    const phase = period * rng.nextFloat();
    const [lo, hi] = [50 + 40 * rng.nextFloat(), 170 + 60 * rng.nextFloat()];
    const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const t = (x * cos + y * sin + phase) / period;
        const light = t - Math.floor(t) < 0.5;
        px[y * size + x] = Math.round((light ? hi : lo) + 10 * rng.nextFloat());
      }
    }
  }
  return px;
}

export async function syntheticPng(label: number, size: number, rng: Prng): Promise<Buffer> {
  return sharp(syntheticPixels(label, size, rng), { raw: { width: size, height: size, channels: 1 } })
    .png()
    .toBuffer();
}

/** Writes the dataset under `root`; returns the written paths per split and class. */
export async function writeSyntheticDataset(root: string, options: SyntheticOptions): Promise<string[]> {
  const size = options.size ?? 64;
  const seed = options.seed ?? 7;
  const written: string[] = [];
  for (const [split, count] of Object.entries(options.perClass)) {
    for (let label = 0; label < syntheticClasses.length; label++) {
      const dir = join(root, split, syntheticClasses[label] as string);
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < (count ?? 0); i++) {
        const rng = new Prng(`${seed}:${split}:${label}:${i}`);
        const path = join(dir, `${String(i).padStart(3, '0')}.png`);
        writeFileSync(path, await syntheticPng(label, size, rng));
        written.push(path);
      }
    }
  }
  return written;
}
