/**
 * Stage 2's pictures: for one class, 4x4 grids of 16 of its images composed with sharp. Images come from a labelled
 * folder (`<dir>/<class name>/<images>`, or `<dir>/train/<class name>/` of a dataset) or from the store's reviewed
 * cases. Each image is shown as the clinician sees it (display pixels: DICOM windowed), fitted into its cell on black.
 * Grids draw different images where there are enough; otherwise each grid is its own seeded draw.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { badInput, VipError } from '@shared/errors';
import { modelPixels } from '../imaging/model-pixels';
import { Prng } from '../model/prng';
import type { Store } from '../store/store';
import { listReviewedImages } from '../store/reviewed-images';
import { shuffled } from '../training/shuffle';
import { normaliseForComparison } from '../vip/symptom-set';

export const GRID_SIDE = 4;
export const GRID_CELLS = GRID_SIDE * GRID_SIDE;

export interface SourceImage {
  path: string;
  /** For messages and the provenance record. */
  name: string;
}

export interface GridImage {
  /** JPEG bytes. */
  data: Uint8Array;
  dataUrl: string;
  sha256: string;
  /** The images in the cells, row by row. */
  sources: string[];
}

export interface GridOptions {
  grids: number;
  /** Pixels per cell side. Default 192 (a 768 px grid). */
  cellSize?: number;
  seed?: number;
  signal?: AbortSignal;
}

export interface GridResult {
  grids: GridImage[];
  warnings: string[];
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.webp', '.dcm', '.dicom']);

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Images per class from `<dir>/<class>/` (or `<dir>/train/<class>/`); class folders match ignoring case and spacing. */
export async function imagesFromFolder(dir: string, classes: readonly string[]): Promise<Map<string, SourceImage[]>> {
  if (!(await isDirectory(dir))) throw badInput(`image folder ${dir} does not exist`);
  const root = (await hasClassFolder(dir, classes)) ? dir : join(dir, 'train');
  const folders = (await isDirectory(root))
    ? (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    : [];
  const out = new Map<string, SourceImage[]>();
  const missing: string[] = [];
  for (const cls of classes) {
    const folder = folders.find((f) => normaliseForComparison(f.name) === normaliseForComparison(cls));
    if (!folder) {
      missing.push(cls);
      continue;
    }
    const files = (await readdir(join(root, folder.name), { withFileTypes: true }))
      .filter((f) => f.isFile() && !f.name.startsWith('.') && IMAGE_EXTENSIONS.has(extname(f.name).toLowerCase()))
      .map((f) => f.name)
      .sort();
    out.set(
      cls,
      files.map((f) => ({ path: join(root, folder.name, f), name: `${folder.name}/${f}` })),
    );
  }
  if (missing.length > 0) {
    throw badInput(
      `image folder ${dir}: no folder for class(es) ${missing.map((c) => `"${c}"`).join(', ')} (expected ${dir}/<class name>/<images>)`,
    );
  }
  return out;
}

async function hasClassFolder(dir: string, classes: readonly string[]): Promise<boolean> {
  const names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  return names.some((n) => classes.some((c) => normaliseForComparison(c) === normaliseForComparison(n)));
}

/** The reviewed cases' images per class (label = the clinician's review). */
export function imagesFromReviews(store: Store, classes: readonly string[]): Map<string, SourceImage[]> {
  const out = new Map<string, SourceImage[]>(classes.map((c) => [c, []]));
  for (const img of listReviewedImages(store)) {
    const cls = classes.find((c) => normaliseForComparison(c) === normaliseForComparison(img.reviewLabel));
    if (cls !== undefined) out.get(cls)?.push({ path: img.path, name: img.name });
  }
  return out;
}

/** One image fitted into a cell: display pixels, letterboxed on black. Null (with the reason) when unreadable. */
async function cellPixels(image: SourceImage, cell: number): Promise<Buffer | string> {
  try {
    const bytes = new Uint8Array(await readFile(image.path));
    const rgb = await modelPixels(bytes);
    return await sharp(Buffer.from(rgb.data.buffer, rgb.data.byteOffset, rgb.data.byteLength), {
      raw: { width: rgb.width, height: rgb.height, channels: 3 },
    })
      .resize(cell, cell, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
      .raw()
      .toBuffer();
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return `${image.name}: ${reason ?? 'unreadable'}`;
  }
}

/** The grids of one class. Unreadable images are skipped (with a warning) and the next ones take their cells. */
export async function composeGrids(images: readonly SourceImage[], options: GridOptions): Promise<GridResult> {
  const cell = options.cellSize ?? 192;
  const seed = options.seed ?? 1;
  const warnings: string[] = [];
  if (images.length === 0) return { grids: [], warnings: ['no images'] };
  const wanted = Math.max(1, Math.floor(options.grids));
  const disjoint = images.length >= wanted * GRID_CELLS;
  const count = images.length < GRID_CELLS ? 1 : wanted;
  if (images.length < GRID_CELLS) {
    warnings.push(`only ${images.length} images: one grid, ${GRID_CELLS - images.length} cells left black`);
  } else if (!disjoint) {
    warnings.push(`${images.length} images are fewer than ${wanted} x ${GRID_CELLS}: the grids share images`);
  }
  const unreadable = new Set<string>();
  const grids: GridImage[] = [];
  const sharedOrder = shuffled(images.length, new Prng(`vsg-grid:${seed}`));
  // Disjoint grids take the next readable images from one shared cursor; otherwise each grid is its own draw.
  let sharedCursor = 0;
  for (let g = 0; g < count; g++) {
    const order = disjoint ? sharedOrder : shuffled(images.length, new Prng(`vsg-grid:${seed}:${g}`));
    let cursor = disjoint ? sharedCursor : 0;
    const tiles: { input: Buffer; left: number; top: number; raw: { width: number; height: number; channels: 3 } }[] =
      [];
    const sources: string[] = [];
    while (tiles.length < GRID_CELLS && cursor < images.length) {
      if (options.signal?.aborted) throw new VipError('cancelled', 'symptom generation was cancelled');
      const image = images[order[cursor++] ?? 0] as SourceImage;
      if (unreadable.has(image.path)) continue;
      const px = await cellPixels(image, cell);
      if (typeof px === 'string') {
        unreadable.add(image.path);
        warnings.push(`skipped ${px}`);
        continue;
      }
      const i = tiles.length;
      tiles.push({
        input: px,
        left: (i % GRID_SIDE) * cell,
        top: Math.floor(i / GRID_SIDE) * cell,
        raw: { width: cell, height: cell, channels: 3 },
      });
      sources.push(image.name);
    }
    if (disjoint) sharedCursor = cursor;
    if (tiles.length === 0) continue;
    const data = await sharp({
      create: { width: GRID_SIDE * cell, height: GRID_SIDE * cell, channels: 3, background: { r: 0, g: 0, b: 0 } },
    })
      .composite(tiles)
      .jpeg({ quality: 85 })
      .toBuffer();
    grids.push({
      data: new Uint8Array(data),
      dataUrl: `data:image/jpeg;base64,${data.toString('base64')}`,
      sha256: createHash('sha256').update(data).digest('hex'),
      sources,
    });
  }
  if (grids.length === 0) warnings.push('no readable images');
  return { grids, warnings };
}
