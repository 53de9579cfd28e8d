/**
 * Text sides computed for a symptom set given as a file (the zero-shot modes, or a prompt file), kept on disk as
 * `<features>/_text-sides/<key>.json` so that the next prediction with the same package, symptoms, mode, template
 * and prompt skips the tokenizer and the text tower (most of a one-image `vip predict`). The key is `textSideKey`,
 * which names everything a text side depends on, with the package's text graphs and creation time (a package removed
 * and imported again under the same id must not be answered from the old one). A derived cache, like the image features beside it: an entry that
 * cannot be read is computed again and rewritten whole (temp file, rename).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelPackage } from '../model/package';
import { parseTextSide, type TextSide } from './text-side';

export interface TextSideDiskCache {
  stored(): TextSide | null;
  save(side: TextSide): void;
}

export function textSideDiskCache(featuresRoot: string, pkg: ModelPackage, textSideKey: string): TextSideDiskCache {
  const m = pkg.manifest;
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        textSideKey,
        m.id,
        m.createdAt,
        m.files['text-embeds.onnx']?.sha256,
        m.files['text.onnx']?.sha256,
      ]),
    )
    .digest('hex');
  // A leading "_" keeps it apart from the per-package folders beside it: package ids start with a letter or digit.
  const dir = join(featuresRoot, '_text-sides');
  const path = join(dir, `${key}.json`);
  return {
    stored() {
      try {
        return parseTextSide(JSON.parse(readFileSync(path, 'utf8')) as unknown, `cached text side ${key}`);
      } catch {
        return null;
      }
    },
    save(side) {
      const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(tmp, JSON.stringify(side));
        renameSync(tmp, path);
      } catch {
        // A cache that cannot be written (read-only data folder) only costs the next prediction its text side.
        rmSync(tmp, { force: true });
      }
    },
  };
}
