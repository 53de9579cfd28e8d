/**
 * The ViP core on the generated demo CLIP package: the training path (tfjs text tower) and the prediction path (ONNX
 * `text-embeds` tower fed host-built CoP embeddings, then plain inference) give the same logits.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClipConfig, type ClipConfig } from '../../src/main/engine/model/clip-config';
import { closeAllClipSessions, openClipSessions, type ClipSessions } from '../../src/main/engine/model/onnx-session';
import { createDemoPackage } from '../../src/main/engine/model/package';
import { readSafetensors, type TensorInput } from '../../src/main/engine/model/safetensors';
import { TfjsTextTower } from '../../src/main/engine/model/text-tower-tfjs';
import { builtinSymptomSet } from '../../src/main/engine/vip/builtin-symptoms';
import type { HeadConfig } from '../../src/main/engine/vip/config';
import { ViPHead } from '../../src/main/engine/vip/head';
import { embeddingPromptFeatures } from '../../src/main/engine/vip/host-prompts';
import { predict, prepareTextSide } from '../../src/main/engine/vip/inference';
import { symptomPrompts, templatePrompts } from '../../src/main/engine/vip/prompts';
import { classNames, type SymptomSet } from '../../src/main/engine/vip/symptom-set';
import { computeTextSide, type PredictMode, type PromptFeatureFn } from '../../src/main/engine/vip/text-side';
import { tfjsPromptFeatures } from '../../src/main/engine/vip/tf-prompts';
import { randomArray, realTokenizer, useCpuBackend } from './helpers/tiny-tower';

let dir: string;
let clip: ClipConfig;
let tower: TfjsTextTower;
let sessions: ClipSessions;
let tokenEmbedding: TensorInput;
let set: SymptomSet;
const B = 4;
const labels = [0, 1, 0, 1];

beforeAll(async () => {
  await useCpuBackend();
  dir = mkdtempSync(join(tmpdir(), 'vip-demo-'));
  const pkg = await createDemoPackage(dir, { preset: 'tiny', seed: 3 });
  clip = parseClipConfig(JSON.parse(readFileSync(pkg.path('config.json'), 'utf8')) as unknown);
  const text = readSafetensors(pkg.path('text.safetensors')).tensors;
  tower = TfjsTextTower.fromClipConfig(clip, text);
  const table = text.get('text_model.embeddings.token_embedding.weight');
  if (!table) throw new Error('no token embeddings');
  tokenEmbedding = table;
  sessions = await openClipSessions(pkg, { executionProvider: 'cpu' });
  const found = builtinSymptomSet('dermoscopy');
  if (!found) throw new Error('no built-in set');
  set = found;
});

afterAll(async () => {
  tower.dispose();
  await closeAllClipSessions();
  rmSync(dir, { recursive: true, force: true });
});

describe('demo model: training path vs ONNX prediction path', () => {
  const configs: [string, HeadConfig][] = [
    ['MeP', { method: 'vip', aggregate: 'mep', nCtx: 4, classSpecific: false }],
    ['class-specific MeP', { method: 'vip', aggregate: 'mep', nCtx: 4, classSpecific: true }],
  ];
  for (const [name, config] of configs) {
    it(name, async () => {
      const e = clip.projectionDim;
      const data = randomArray(B * e, 'demo-images');
      const head = new ViPHead({
        tower,
        prompts: symptomPrompts(realTokenizer(), set, config.nCtx),
        classes: classNames(set),
        config,
        seed: 2,
      });
      try {
        const opt = tf.train.sgd(0.1);
        const f = tf.tensor2d(data, [B, e]);
        for (let i = 0; i < 3; i++) {
          tf.tidy(() => {
            opt.minimize(() => head.loss(f, labels), false, head.variables);
          });
        }
        opt.dispose();
        const trained = tf.tidy(() => head.forward(f).arraySync());
        f.dispose();

        const side = (features: PromptFeatureFn) =>
          computeTextSide({
            features,
            tokenizer: realTokenizer(),
            symptoms: set,
            mode: 'vip',
            prompt: head.exportWeights(),
            embedDim: e,
            textWidth: clip.text.hiddenSize,
          });
        const onnx = embeddingPromptFeatures(sessions.embedTextEmbeddings.bind(sessions), tokenEmbedding, e);
        const viaOnnx = prepareTextSide(await side(onnx));
        const viaTfjs = prepareTextSide(await side(tfjsPromptFeatures(tower)));
        for (let b = 0; b < B; b++) {
          const image = data.subarray(b * e, (b + 1) * e);
          const onnxLogits = predict(viaOnnx, image).logits;
          const tfjsLogits = predict(viaTfjs, image).logits;
          onnxLogits.forEach((v, c) => {
            expect(Math.abs(v - (trained[b]?.[c] ?? NaN))).toBeLessThan(1e-4);
            expect(Math.abs((tfjsLogits[c] ?? NaN) - (trained[b]?.[c] ?? NaN))).toBeLessThan(1e-4);
          });
        }
      } finally {
        head.dispose();
      }
    });
  }

  it('host-built embeddings without context read the same as token ids (zero-shot baselines)', async () => {
    const e = clip.projectionDim;
    const layouts = [
      ...templatePrompts(realTokenizer(), classNames(set)).layouts,
      ...symptomPrompts(realTokenizer(), set, 0).layouts,
    ];
    const viaEmbeds = await embeddingPromptFeatures(
      sessions.embedTextEmbeddings.bind(sessions),
      tokenEmbedding,
      e,
      3,
    )(layouts, null);
    const viaIds = await sessions.embedTexts(layouts.map((l) => l.ids));
    viaEmbeds.forEach((f, i) =>
      f.forEach((v, j) => expect(Math.abs(v - (viaIds[i * e + j] ?? NaN))).toBeLessThan(1e-5)),
    );
    for (const mode of ['zeroshot-classname', 'zeroshot-symptoms'] as PredictMode[]) {
      const side = await computeTextSide({
        features: embeddingPromptFeatures(sessions.embedTextEmbeddings.bind(sessions), tokenEmbedding, e),
        tokenizer: realTokenizer(),
        symptoms: set,
        mode,
        embedDim: e,
      });
      expect(side.kind).toBe(mode);
      expect(side.classes.map((c) => c.name)).toEqual(['melanoma', 'nevus']);
    }
  });
});
