/**
 * The text tower's forward pass and VJP in tfjs, the same split as the onnxruntime engine: the reference the fast
 * path is checked against, and the engine used where tfjs is the faster (a native tfjs backend). The backward pass
 * runs the tower again under tf.grad, so a step costs one forward more than the fused tfjs training step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { VipError } from '@shared/errors';
import type { TrainableTextTower } from '../vip/tf-prompts';
import type { PromptInput, TextBackprop, TextForward, TextTape } from './text-backprop';

class TfjsTape implements TextTape {
  released = false;
  constructor(readonly input: PromptInput) {}
  release(): void {
    this.released = true;
  }
}

export function createTfjsTextBackprop(tower: TrainableTextTower): TextBackprop {
  const w = tower.width;
  const e = tower.config.projectionDim;
  return {
    name: 'tfjs',
    device: `tfjs ${tf.getBackend()}`,
    forward(input: PromptInput): Promise<TextForward> {
      const features = tf.tidy(() => {
        const x = tf.tensor3d(input.embeds, [input.n, input.length, w]);
        return tower.encodeEmbeddings(x, input.eotIndex).dataSync() as Float32Array;
      });
      return Promise.resolve({ features: Float32Array.from(features), tape: new TfjsTape(input) });
    },
    backward(tape: TextTape, dFeatures: Float32Array): Promise<Float32Array> {
      if (!(tape instanceof TfjsTape) || tape.released) throw new VipError('internal', 'text VJP: not a live tape');
      const { input } = tape;
      if (dFeatures.length !== input.n * e) {
        throw new VipError('internal', `text VJP: ${dFeatures.length} gradient values for ${input.n} features of ${e}`);
      }
      const grad = tf.tidy(() => {
        const x = tf.tensor3d(input.embeds, [input.n, input.length, w]);
        const dy = tf.tensor2d(dFeatures, [input.n, e]);
        const vjp = tf.grad((v: tf.Tensor) =>
          tf.sum(tf.mul(tower.encodeEmbeddings(v as tf.Tensor3D, input.eotIndex), dy)),
        );
        return vjp(x).dataSync() as Float32Array;
      });
      return Promise.resolve(Float32Array.from(grad));
    },
    dispose(): Promise<void> {
      return Promise.resolve();
    },
  };
}
