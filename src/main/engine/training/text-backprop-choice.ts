/**
 * Which engine runs the frozen text tower during CoP training: onnxruntime's forward + VJP graphs (`onnx-vjp`), or
 * tfjs (`tfjs`: the fused step, one tape through the tfjs tower). `auto` times one step's text side with each, on the
 * real prompts, and keeps the faster: which wins depends on the machine (onnxruntime's threaded CPU kernels against
 * a native tfjs backend, or a GPU).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ClipConfig } from '../model/clip-config';
import type { ExecutionProvider } from '../model/onnx-session';
import type { Weights } from '../model/onnx/transformer';
import type { ViPHead } from '../vip/head';
import type { TrainableTextTower } from '../vip/tf-prompts';
import { crossEntropy } from '../vip/head';
import type { TextBackendChoice, TextBackendName, TextBackprop } from './text-backprop';
import { createOnnxTextBackprop } from './text-backprop-onnx';
import { createTfjsTextBackprop } from './text-backprop-tfjs';
import { TextBackpropStep } from './text-backprop-step';
import { createOptimizer } from './optimizer';

export interface TextEngineRequest {
  choice: TextBackendChoice;
  head: ViPHead;
  /** The tfjs tower the head was built with. */
  tower: TrainableTextTower;
  config: ClipConfig;
  /** The text tower's weights (text.safetensors), for the ONNX graphs. */
  weights: Weights;
  contextEvery: number;
  /** onnxruntime's provider for the text graphs (the image tower's; default cpu). */
  executionProvider?: ExecutionProvider;
}

export interface TextEngine {
  /** What trainHead gets: null for the fused tfjs step. */
  text: TextBackprop | null;
  name: TextBackendName;
  /** Why this engine, for the run's record. */
  reason: string;
  /** Seconds of one step's text side per engine, when `auto` measured them. */
  probe?: Partial<Record<TextBackendName, number>>;
}

export async function chooseTextEngine(req: TextEngineRequest): Promise<TextEngine> {
  if (req.head.ctx === null) {
    return { text: null, name: 'tfjs', reason: 'no context to learn: the text tower runs once, before training' };
  }
  if (req.choice === 'tfjs') return tfjsEngine(req, 'chosen');
  if (req.choice === 'onnx-vjp') {
    return { text: await createOnnx(req), name: 'onnx-vjp', reason: 'chosen' };
  }
  let onnx: TextBackprop;
  try {
    onnx = await createOnnx(req);
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return tfjsEngine(req, `onnxruntime text graphs failed to load (${why})`);
  }
  const onnxSeconds = await timeSplitStep(req.head, onnx);
  const tfjsSeconds = timeFusedStep(req.head);
  const probe = { 'onnx-vjp': onnxSeconds, tfjs: tfjsSeconds };
  const timing = `onnx-vjp ${onnxSeconds.toFixed(3)} s, tfjs ${tfjsSeconds.toFixed(3)} s per step`;
  if (onnxSeconds <= tfjsSeconds) return { text: onnx, name: 'onnx-vjp', reason: `auto: ${timing}`, probe };
  await onnx.dispose();
  return { ...(await tfjsEngine(req, `auto: ${timing}`)), probe };
}

function createOnnx(req: TextEngineRequest): Promise<TextBackprop> {
  return createOnnxTextBackprop(req.config, req.weights, {
    ...(req.executionProvider ? { executionProvider: req.executionProvider } : {}),
  });
}

async function tfjsEngine(req: TextEngineRequest, reason: string): Promise<TextEngine> {
  // The fused step is the faster tfjs form; the context interval needs the split one.
  const text = req.contextEvery > 1 ? createTfjsTextBackprop(req.tower) : null;
  return Promise.resolve({ text, name: 'tfjs', reason });
}

/** A dummy batch of image features: the text side's cost does not depend on them. */
function dummyBatch(head: ViPHead): { x: Float32Array; y: Int32Array; batch: number } {
  const batch = 4;
  const x = Float32Array.from({ length: batch * head.embedDim }, (_, i) => Math.sin(i + 1));
  const y = Int32Array.from({ length: batch }, (_, i) => i % head.classes.length);
  return { x, y, batch };
}

/** The better of two timed runs of the split step's text side (forward, MeP gradients, VJP); nothing is updated. */
async function timeSplitStep(head: ViPHead, text: TextBackprop): Promise<number> {
  const { x, y, batch } = dummyBatch(head);
  const noUpdate = createOptimizer({ name: 'sgd', weightDecay: 0, momentum: 0 });
  const step = new TextBackpropStep({ head, text, optimizer: noUpdate, contextEvery: 1 });
  let best = Infinity;
  try {
    for (let i = 0; i < 2; i++) {
      const start = performance.now();
      // lr 0: the weights do not move (SGD without momentum or decay).
      await step.step(x, y, batch, 0, true);
      best = Math.min(best, (performance.now() - start) / 1000);
    }
  } finally {
    step.dispose();
    noUpdate.dispose();
  }
  return best;
}

/** The better of two timed fused tfjs gradient computations (no update). */
function timeFusedStep(head: ViPHead): number {
  const { x, y, batch } = dummyBatch(head);
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    const start = performance.now();
    tf.tidy(() => {
      const xs = tf.tensor2d(x, [batch, head.embedDim]);
      const { value, grads } = tf.variableGrads(
        () => crossEntropy(head.forward(xs), y, head.classes.length),
        head.variables,
      );
      value.dataSync();
      for (const g of Object.values(grads)) g.dataSync();
    });
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return best;
}
