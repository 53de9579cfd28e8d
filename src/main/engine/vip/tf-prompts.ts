/**
 * Running CoP prompts through the frozen tfjs text tower: token embeddings of the prompts, the context put in place
 * of the placeholders, the tower, the EOT rows. Shared by training (differentiable in the context) and by the text
 * side of a trained model (computed once).
 */
import * as tf from '@tensorflow/tfjs-core';
import { VipError } from '@shared/errors';
import { insertContext } from '../model/text-tower-tfjs';
import type { TensorInput } from '../model/safetensors';
import type { PromptLayout } from './prompts';
import type { PromptFeatureFn } from './text-side';

/** What ViP needs from the text tower (TfjsTextTower has it). */
export interface TrainableTextTower {
  /** W, the width of token embeddings. */
  readonly width: number;
  readonly config: { readonly projectionDim: number };
  /** `[N, L, W]` token embeddings, rows padded with id 0 to the longest. */
  tokenEmbeddings(ids: readonly (readonly number[])[]): tf.Tensor3D;
  /** `[N, E]` unnormalised features read at `eotIndex`; differentiable with respect to `x`. */
  encodeEmbeddings(x: tf.Tensor3D, eotIndex: readonly number[]): tf.Tensor2D;
}

/** Token embeddings of the prompts, `[N, L, W]` (constant: the placeholders' own embeddings are replaced later). */
export function promptEmbeddings(tower: TrainableTextTower, layouts: readonly PromptLayout[]): tf.Tensor3D {
  return tower.tokenEmbeddings(layouts.map((l) => l.ids));
}

/**
 * The prompts' features `[N, E]`: positions 1..M of `base` replaced by `ctx` (`[M, W]` shared, or `[C, M, W]` with
 * each prompt taking its class's row), then the tower. `ctx` null: the prompts are read as they are.
 */
export function encodePrompts(
  tower: TrainableTextTower,
  layouts: readonly PromptLayout[],
  base: tf.Tensor3D,
  ctx: tf.Tensor2D | tf.Tensor3D | null,
): tf.Tensor2D {
  const eot = layouts.map((l) => l.eotIndex);
  if (ctx === null) return tower.encodeEmbeddings(base, eot);
  const m = ctx.rank === 2 ? ctx.shape[0] : ctx.shape[1];
  const wrong = layouts.find((l) => l.nCtx !== m);
  if (wrong) throw new VipError('internal', `prompt "${wrong.text}" has ${wrong.nCtx} placeholders, the context ${m}`);
  return tf.tidy(() => {
    const context =
      ctx.rank === 2
        ? ctx
        : (tf.gather(
            ctx,
            tf.tensor1d(
              layouts.map((l) => l.classIndex),
              'int32',
            ),
          ) as tf.Tensor3D);
    return tower.encodeEmbeddings(insertContext(base, context, 1), eot);
  });
}

/** Features of many prompts as host arrays, a chunk at a time so a long symptom list never needs one huge batch. */
export function promptFeaturesTf(
  tower: TrainableTextTower,
  layouts: readonly PromptLayout[],
  ctx: TensorInput | null,
  chunkSize = 32,
): Float32Array[] {
  const out: Float32Array[] = [];
  const e = tower.config.projectionDim;
  for (let start = 0; start < layouts.length; start += chunkSize) {
    const chunk = layouts.slice(start, start + chunkSize);
    const data = tf.tidy(() => {
      const context =
        ctx === null
          ? null
          : ctx.shape.length === 2
            ? tf.tensor2d(ctx.data, [ctx.shape[0] ?? 0, ctx.shape[1] ?? 0])
            : tf.tensor3d(ctx.data, [ctx.shape[0] ?? 0, ctx.shape[1] ?? 0, ctx.shape[2] ?? 0]);
      return encodePrompts(tower, chunk, promptEmbeddings(tower, chunk), context).dataSync() as Float32Array;
    });
    chunk.forEach((_, i) => out.push(data.slice(i * e, (i + 1) * e)));
  }
  return out;
}

/** The tfjs tower as the text side's feature source. */
export function tfjsPromptFeatures(tower: TrainableTextTower, chunkSize = 32): PromptFeatureFn {
  return (layouts, ctx) => Promise.resolve(promptFeaturesTf(tower, layouts, ctx, chunkSize));
}
