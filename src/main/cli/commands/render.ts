/**
 * `vip inspect FILE` and `vip render FILE --out OUT.png`: a file's facts and its display pixels, without a data folder.
 * Frames are numbered from 1 here, as clinicians count them. Bad input exits 2 with one line.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { badInput } from '@shared/errors';
import type { ImageInspection } from '../../engine/imaging/inspect';
import { action } from '../frame';

// The imaging engine (sharp, the DICOM parser, the codecs) loads when a command runs, not at CLI start.
const imaging = () =>
  Promise.all([
    import('../../engine/imaging/decode'),
    import('../../engine/imaging/display'),
    import('../../engine/imaging/inspect'),
    import('../../engine/imaging/model-input-view'),
    import('../../engine/imaging/model-pixels'),
    import('../../engine/imaging/render'),
  ]);

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a positive whole number');
  }
  return n;
}

function windowArg(value: string): { center: number; width: number } {
  const m = /^\s*(-?[\d.]+(?:e[-+]?\d+)?)\s*,\s*([\d.]+(?:e[-+]?\d+)?)\s*$/i.exec(value);
  const center = Number(m?.[1]);
  const width = Number(m?.[2]);
  if (!m || !Number.isFinite(center) || !Number.isFinite(width) || width <= 0) {
    throw new InvalidArgumentError('expected CENTER,WIDTH with a width above 0, e.g. 40,400 or -600,1500');
  }
  return { center, width };
}

async function readInput(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : `cannot read (${code ?? err})`;
    throw badInput(`${path}: ${why}`);
  }
}

/** Writes next to the target, then renames: a failed or interrupted write leaves no half-written PNG. */
async function writeAtomically(path: string, data: Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw badInput(`cannot write ${path} (${code ?? String(err)})`);
  }
}

/** Errors name the file, as the import does. */
async function named<T>(file: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'bad_input') err.message = `${file}: ${err.message}`;
    throw err;
  }
}

function inspectText(r: ImageInspection): string {
  const lines = [
    `${r.kind === 'dicom' ? 'DICOM' : 'image'} ${r.width} x ${r.height}, ${r.frames} frame(s), ${r.photometric ?? '-'}, ${r.bits_stored} bits stored`,
  ];
  if (r.transfer_syntax_name) lines.push(`transfer syntax ${r.transfer_syntax_name}`);
  if (r.modality) lines.push(`modality ${r.modality}`);
  for (const w of r.windows) lines.push(`window ${w.center}/${w.width}${w.explanation ? ` (${w.explanation})` : ''}`);
  lines.push('(use --json for every attribute)');
  return lines.join('\n');
}

interface RenderOpts {
  out: string;
  frame: number;
  window?: { center: number; width: number };
  invert?: boolean;
  modelInput?: boolean;
  size: number;
}

export function registerImageCommands(program: Command): void {
  program
    .command('inspect')
    .description('what an image file is: size, frames, photometric, bits, transfer syntax, windows, DICOM attributes')
    .argument('<file>', 'a DICOM file or an ordinary image (JPEG, PNG, TIFF, WebP)')
    .action(
      action(async (ctx, file: string) => {
        const bytes = await readInput(resolve(file));
        const [, , { inspectImage }] = await imaging();
        ctx.print(await named(file, () => inspectImage(bytes)), inspectText);
      }),
    );

  program
    .command('render')
    .description("write a file's display pixels as PNG (grayscale for MONOCHROME, RGB otherwise)")
    .argument('<file>', 'a DICOM file or an ordinary image')
    .requiredOption('--out <png>', 'the PNG to write')
    .option('--frame <n>', 'frame (or TIFF page) to render, counted from 1', positiveInt, 1)
    .option('--window <center,width>', "window to apply instead of the file's first (grayscale only)", windowArg)
    .option('--invert', 'invert the grayscale (or make a colour negative)')
    .option('--model-input', 'write what the CLIP model sees: the display pixels resized and center-cropped')
    .option('--size <n>', 'model input size for --model-input', positiveInt, 224)
    .action(
      action(async (ctx, file: string, opts: RenderOpts) => {
        const bytes = await readInput(resolve(file));
        const [{ decodeImage }, { displayPixels }, , { modelInputView }, { asRgb }, { encodePng }] = await imaging();
        const result = await named(file, async () => {
          const shown = displayPixels(await decodeImage(bytes, opts.frame - 1), {
            ...(opts.window ? { window: opts.window } : {}),
            invert: opts.invert === true,
          });
          const pixels = opts.modelInput
            ? await modelInputView(
                { data: asRgb(shown.data, shown.channels), width: shown.width, height: shown.height, channels: 3 },
                { size: opts.size },
              )
            : shown;
          const png = await encodePng(pixels);
          await writeAtomically(resolve(opts.out), png.data);
          return {
            out: resolve(opts.out),
            width: png.width,
            height: png.height,
            channels: pixels.channels,
            frame: opts.frame,
            window: shown.window,
            voiLut: shown.voiLut,
            modelInput: opts.modelInput === true,
          };
        });
        ctx.print(result, (r: typeof result) => {
          const how = r.window
            ? `window ${r.window.center}/${r.window.width}`
            : r.voiLut
              ? `VOI LUT ${r.voiLut}`
              : 'colour';
          return `wrote ${r.out} (${r.width} x ${r.height}, ${how}${r.modelInput ? ', model input' : ''})`;
        });
      }),
    );
}
