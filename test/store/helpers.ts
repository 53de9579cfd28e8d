/** Shared test helpers for the case store: temp data folders, small images, an engine. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { Engine } from '../../src/main/engine/engine';

export function tempDir(prefix = 'vip-store-'): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function openEngine(dataDir: string): Engine {
  return Engine.open({ dataDir, transport: 'cli' });
}

/** A small solid-colour PNG; distinct colours give distinct content. */
export function solidPng(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toBuffer();
}

/** A PNG whose pixels are exactly `values` (8-bit grey or 16-bit grey). */
export function greyPng(width: number, height: number, values: number[], depth: 8 | 16): Promise<Buffer> {
  if (depth === 8)
    return sharp(Buffer.from(values), { raw: { width, height, channels: 1 } })
      .png()
      .toBuffer();
  return sharp(new Uint16Array(values), { raw: { width, height, channels: 1 } })
    .toColourspace('grey16')
    .png()
    .toBuffer();
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Every file under dir, as paths relative to it with forward slashes. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** Decoded pixels of a PNG as one grey channel (or RGB when asked). */
export async function pngPixels(
  png: Uint8Array,
  channels: 1 | 3 = 1,
): Promise<{ data: number[]; width: number; height: number }> {
  let img = sharp(png);
  img = channels === 1 ? img.extractChannel(0) : img.removeAlpha();
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return { data: [...data], width: info.width, height: info.height };
}
