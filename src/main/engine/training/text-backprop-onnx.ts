/**
 * The text tower's forward pass and VJP in onnxruntime (text-vjp-graph.ts): the graphs are built in memory from the
 * package's text weights when training starts (nothing is added to the package), and run with every core. The tape
 * stays as onnxruntime tensors between the two runs; nothing is copied through tfjs.
 */
import { cpus } from 'node:os';
import * as ort from 'onnxruntime-node';
import { VipError } from '@shared/errors';
import type { ClipConfig } from '../model/clip-config';
import type { ExecutionProvider } from '../model/onnx-session';
import { buildTextTapeModel, buildTextVjpModel, tapeNames } from '../model/onnx/text-vjp-graph';
import type { Weights } from '../model/onnx/transformer';
import type { PromptInput, TextBackprop, TextForward, TextTape } from './text-backprop';

class OnnxTape implements TextTape {
  constructor(
    readonly tensors: Record<string, ort.Tensor>,
    readonly eot: ort.Tensor,
    readonly n: number,
    readonly length: number,
    private readonly alive: Set<OnnxTape>,
  ) {
    alive.add(this);
  }
  released = false;
  release(): void {
    this.released = true;
    this.alive.delete(this);
  }
}

export interface OnnxTextBackpropOptions {
  /** Threads for onnxruntime's operators (default: every core). */
  threads?: number;
  /**
   * Whether idle operator threads spin waiting for work (onnxruntime's default; here off by default). Spinning
   * threads compete with the JavaScript thread that runs MeP between the two graphs: on 2 cores a step took
   * 0.3-0.4 s without spinning and 0.5-0.8 s with it (ViT-B/16 text tower, other work on the machine).
   */
  spinning?: boolean;
  /** The image tower's provider (a GPU when there is one); the CPU stays the fallback. Default cpu. */
  executionProvider?: ExecutionProvider;
}

export async function createOnnxTextBackprop(
  config: ClipConfig,
  weights: Weights,
  options: OnnxTextBackpropOptions = {},
): Promise<TextBackprop> {
  const threads = Math.max(1, options.threads ?? cpus().length);
  const provider = options.executionProvider ?? 'cpu';
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
    intraOpNumThreads: threads,
    graphOptimizationLevel: 'all',
    ...(options.spinning === true ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
  };
  const forwardSession = await ort.InferenceSession.create(buildTextTapeModel(config, weights), sessionOptions);
  let backwardSession: ort.InferenceSession;
  try {
    backwardSession = await ort.InferenceSession.create(buildTextVjpModel(config, weights), sessionOptions);
  } catch (err) {
    await forwardSession.release();
    throw err;
  }
  const names = tapeNames(config);
  const W = config.text.hiddenSize;
  const E = config.projectionDim;
  const alive = new Set<OnnxTape>();
  let disposed = false;

  const check = (input: PromptInput): void => {
    const { embeds, n, length, eotIndex } = input;
    if (n < 1 || length < 1 || embeds.length !== n * length * W || eotIndex.length !== n) {
      throw new VipError('internal', `text VJP: ${embeds.length} values is not ${n} prompts of ${length} x ${W}`);
    }
    if (length > config.text.maxPositions || eotIndex.some((e) => !Number.isInteger(e) || e < 0 || e >= length)) {
      throw new VipError('internal', `text VJP: an EOT index is outside 0..${length - 1}`);
    }
  };

  return {
    name: 'onnx-vjp',
    device: `onnxruntime ${provider}, ${threads} thread${threads === 1 ? '' : 's'}`,
    async forward(input: PromptInput): Promise<TextForward> {
      if (disposed) throw new VipError('internal', 'text VJP used after dispose()');
      check(input);
      const eot = new ort.Tensor(
        'int64',
        BigInt64Array.from(input.eotIndex, (e) => BigInt(e)),
        [input.n],
      );
      const out = await forwardSession.run({
        inputs_embeds: new ort.Tensor('float32', input.embeds, [input.n, input.length, W]),
        eot_index: eot,
      });
      const features = out['text_embeds'];
      if (!features) throw new VipError('internal', 'text_embeds missing from the tape graph output');
      const tensors: Record<string, ort.Tensor> = {};
      for (const name of names) {
        const t = out[name];
        if (!t) throw new VipError('internal', `${name} missing from the tape graph output`);
        tensors[name] = t;
      }
      return {
        features: features.data as Float32Array,
        tape: new OnnxTape(tensors, eot, input.n, input.length, alive),
      };
    },
    async backward(tape: TextTape, dFeatures: Float32Array): Promise<Float32Array> {
      if (disposed) throw new VipError('internal', 'text VJP used after dispose()');
      if (!(tape instanceof OnnxTape) || tape.released) throw new VipError('internal', 'text VJP: not a live tape');
      if (dFeatures.length !== tape.n * E) {
        throw new VipError('internal', `text VJP: ${dFeatures.length} gradient values for ${tape.n} features of ${E}`);
      }
      const out = await backwardSession.run({
        ...tape.tensors,
        eot_index: tape.eot,
        grad_text_embeds: new ort.Tensor('float32', dFeatures, [tape.n, E]),
      });
      const grad = out['grad_inputs_embeds'];
      if (!grad) throw new VipError('internal', 'grad_inputs_embeds missing from the VJP graph output');
      return grad.data as Float32Array;
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      for (const t of [...alive]) t.release();
      await forwardSession.release();
      await backwardSession.release();
    },
  };
}
