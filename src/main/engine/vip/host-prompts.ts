/**
 * CoP prompts for text towers that take input embeddings rather than ids (the ONNX `text-embeds` model): the prompt
 * embeddings are assembled here, on the host, from the token-embedding table, with the context vectors in place of
 * the placeholders. Same layout as the tfjs path (tf-prompts.ts): rows padded with token 0, cut after the last EOT.
 */
import { VipError } from '@shared/errors';
import type { TensorInput } from '../model/safetensors';
import type { PromptLayout } from './prompts';
import type { PromptFeatureFn } from './text-side';

export interface HostPromptEmbeddings {
  /** `[n, length, W]` row-major. */
  embeds: Float32Array;
  n: number;
  length: number;
  eotIndex: number[];
}

/**
 * `tokenEmbedding` `[V, W]` (HF `text_model.embeddings.token_embedding.weight`); `ctx` `[M, W]` or `[C, M, W]` (each
 * prompt takes its class's row) or null.
 */
export function hostPromptEmbeddings(
  tokenEmbedding: TensorInput,
  layouts: readonly PromptLayout[],
  ctx: TensorInput | null,
): HostPromptEmbeddings {
  const [vocab, w] = tokenEmbedding.shape;
  if (vocab === undefined || w === undefined || tokenEmbedding.shape.length !== 2) {
    throw new VipError('internal', 'token embedding table must be [V, W]');
  }
  const m = ctx === null ? 0 : (ctx.shape.at(-2) ?? 0);
  if (ctx !== null && ctx.shape.at(-1) !== w) {
    throw new VipError('internal', `context width ${ctx.shape.at(-1)} differs from the token embeddings' ${w}`);
  }
  const n = layouts.length;
  const eotIndex = layouts.map((l) => l.eotIndex);
  const length = Math.max(...eotIndex) + 1;
  const embeds = new Float32Array(n * length * w);
  layouts.forEach((l, i) => {
    if (ctx !== null && l.nCtx !== m) {
      throw new VipError('internal', `prompt "${l.text}" has ${l.nCtx} placeholders, the context ${m}`);
    }
    for (let p = 0; p < length; p++) {
      const dst = (i * length + p) * w;
      if (ctx !== null && p >= 1 && p <= m) {
        const row = (ctx.shape.length === 3 ? l.classIndex * m : 0) + (p - 1);
        embeds.set(ctx.data.subarray(row * w, (row + 1) * w), dst);
        continue;
      }
      const id = l.ids[p] ?? 0;
      if (id < 0 || id >= vocab) throw new VipError('internal', `token id ${id} outside the vocabulary`);
      embeds.set(tokenEmbedding.data.subarray(id * w, (id + 1) * w), dst);
    }
  });
  return { embeds, n, length, eotIndex };
}

/** Features from an embeddings-input tower (e.g. `ClipSessions.embedTextEmbeddings`), a chunk at a time. */
export function embeddingPromptFeatures(
  embed: (embeds: Float32Array, n: number, eotIndex: readonly number[]) => Promise<Float32Array>,
  tokenEmbedding: TensorInput,
  embedDim: number,
  chunkSize = 32,
): PromptFeatureFn {
  return async (layouts, ctx) => {
    const out: Float32Array[] = [];
    for (let start = 0; start < layouts.length; start += chunkSize) {
      const chunk = layouts.slice(start, start + chunkSize);
      const { embeds, n, eotIndex } = hostPromptEmbeddings(tokenEmbedding, chunk, ctx);
      const features = await embed(embeds, n, eotIndex);
      if (features.length !== n * embedDim) {
        throw new VipError('internal', `text tower returned ${features.length} values for ${n} prompts of ${embedDim}`);
      }
      for (let i = 0; i < n; i++) out.push(features.slice(i * embedDim, (i + 1) * embedDim));
    }
    return out;
  };
}
