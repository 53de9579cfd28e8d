/**
 * The CLIP text tower as a phrase embedder for near-duplicate matching: each phrase is read as `"{phrase}."` (how the
 * zero-shot symptom baseline reads a symptom), and its feature is scaled to unit length.
 */
import { packageTokenizer } from '../model/embed';
import { openClipSessions } from '../model/onnx-session';
import type { ModelPackage } from '../model/package';
import type { TextEmbedder } from './phrase-matching';

export function clipTextEmbedder(pkg: ModelPackage): TextEmbedder {
  return {
    label: `CLIP text tower of package "${pkg.manifest.id}"`,
    async embed(texts) {
      if (texts.length === 0) return [];
      const tokenizer = packageTokenizer(pkg);
      const room = pkg.manifest.tokenizer.contextLength - 2;
      // A phrase too long for the text tower is compared by its beginning; validation drops it later anyway.
      const ids = texts.map((t) => [tokenizer.sotId, ...tokenizer.encode(`${t}.`).slice(0, room), tokenizer.eotId]);
      const sessions = await openClipSessions(pkg);
      const flat = await sessions.embedTexts(ids);
      const e = sessions.projectionDim;
      return texts.map((_, i) => unit(flat.slice(i * e, (i + 1) * e)));
    },
  };
}

function unit(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return v.map((x) => x / norm);
}
