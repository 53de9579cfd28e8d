/** `vip embed`: raw CLIP features of images and texts (projected, not normalised), for checking the engine. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { EmbedResult } from '../../engine/model/embed';
import { action, userError } from '../frame';

// The CLIP engine (onnxruntime, sharp, ...) loads when `vip embed` runs, not at CLI start.
const clipEngine = () =>
  Promise.all([
    import('../../engine/model/embed'),
    import('../../engine/model/onnx-session'),
    import('../../engine/model/registry'),
  ]);

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function preview(v: number[]): string {
  const head = v.slice(0, 4).map((x) => x.toFixed(4));
  return `[${head.join(', ')}${v.length > 4 ? ', ...' : ''}] (${v.length} values)`;
}

function embedText(images: string[], texts: string[]): (r: EmbedResult) => string {
  return (r) => {
    const lines: string[] = [];
    r.image_embeds.forEach((v, i) => lines.push(`image ${images[i] ?? i + 1}: ${preview(v)}`));
    r.text_embeds.forEach((v, i) => {
      lines.push(`text "${texts[i] ?? ''}": ${preview(v)}`);
      lines.push(`  tokens ${(r.text_tokens[i] ?? []).join(' ')}`);
    });
    lines.push('(use --json for the full vectors)');
    return lines.join('\n');
  };
}

export function registerEmbedCommand(program: Command): void {
  program
    .command('embed')
    .description('CLIP features of images and texts, in the order given (projected, not normalised)')
    .option('--model <id>', 'model package (default: the first with real weights, else the demo)')
    .option('--image <file>', 'an image file (repeatable)', collect, [])
    .option('--text <string>', 'a text (repeatable)', collect, [])
    .action(
      action(async (ctx, opts: { model?: string; image: string[]; text: string[] }) => {
        if (opts.image.length === 0 && opts.text.length === 0) throw userError('Give at least one --image or --text');
        const [{ embedWithModel }, { closeAllClipSessions }, { defaultPackageId }] = await clipEngine();
        const modelsDir = ctx.engine().paths.models;
        const id = opts.model ?? (await defaultPackageId(modelsDir));
        const images = opts.image.map((p) => resolve(p));
        try {
          const result = await embedWithModel(modelsDir, id, { images, texts: opts.text });
          ctx.print(result, embedText(opts.image, opts.text));
        } finally {
          await closeAllClipSessions();
        }
      }),
    );
}
