/**
 * `vip bench --preset tiny --json` from the built CLI: the JSON has every figure the issue asks for, with backend
 * names and the core count, each phase measured in its own process, and the same document saved under
 * `<data>/benchmarks/` and returned by `bench.latest`. No timing is asserted (the figures depend on the machine).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchResultSchema, type BenchResult } from '../../src/main/engine/bench/bench-result';
import { Engine } from '../../src/main/engine/engine';
import { ensureBuiltCli, runVip, type VipResult } from '../store/built-cli';

let root: string;
let data: string;
let run: VipResult;
let result: BenchResult;

beforeAll(() => {
  ensureBuiltCli();
  root = mkdtempSync(join(tmpdir(), 'vip-bench-'));
  data = join(root, 'data');
  run = runVip(['--data', data, '--json', 'bench', '--preset', 'tiny'], { timeout: 900_000 });
  if (run.status !== 0) throw new Error(`vip bench failed (${run.status}): ${run.stderr}`);
  result = benchResultSchema.parse(JSON.parse(run.stdout));
}, 900_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

const positive = (x: number): void => expect(x).toBeGreaterThan(0);

describe('vip bench --preset tiny --json', () => {
  it('names the machine and the backends it measured', () => {
    expect(result.preset).toBe('tiny');
    expect(result.machine.cores).toBe(cpus().length);
    expect(result.machine.loadAverageStart).toHaveLength(3);
    expect(result.backends.onnxruntime).toMatch(/^onnxruntime-node \d+\.\d+/);
    expect(['cpu', 'cuda', 'dml', 'coreml']).toContain(result.backends.onnxExecutionProvider);
    expect(['wasm', 'cpu', 'tensorflow']).toContain(result.backends.tfjsBackend);
    expect(['onnx-vjp', 'tfjs']).toContain(result.backends.trainingTextEngine);
    expect(result.isolation).toBe('child-process');
    // The package was made for the run, with the preset's name, and is there for the next run.
    expect(result.package).toMatchObject({ id: 'bench-tiny', reused: false });
    expect(existsSync(join(data, 'models', 'bench-tiny', 'manifest.json'))).toBe(true);
  });

  it('measures every phase, each with the peak RSS of its own process', () => {
    const p = result.phases;
    positive(p.decode.decodeSecondsPerImage);
    positive(p.decode.preprocessSecondsPerImage);
    expect(p.decode.image).toMatch(/2048x2048 16-bit/);
    positive(p.imageEmbedding.batch1SecondsPerImage);
    positive(p.imageEmbedding.batch8SecondsPerImage);
    positive(p.textSide.seconds);
    expect(p.textSide).toMatchObject({ classes: 2, symptomsPerClass: 4, nCtx: 4 });
    expect(p.trainingStep).toMatchObject({ batch: 32, prompts: 8, nCtx: 4 });
    positive(p.trainingStep.engines['onnx-vjp']?.secondsPerStep ?? 0);
    positive(p.trainingStep.engines.tfjs?.secondsPerStep ?? 0);
    expect(p.trainingStep.auto.reason).toMatch(/^auto: onnx-vjp .* tfjs /);
    expect(p.epoch).toMatchObject({ images: 4710, valImages: 522, batch: 32, stepsPerEpoch: 147 });
    expect(p.epoch.exact).toMatchObject({ schedule: 'exact', contextEvery: 1 });
    expect(p.epoch.fast).toMatchObject({ schedule: 'fast', contextEvery: 8 });
    expect(p.epoch.exact.epochSeconds).toHaveLength(3);
    expect(p.epoch.exact.rssAfterEpochBytes).toHaveLength(3);
    // Training leaks no tfjs tensor from one epoch to the next.
    expect(p.epoch.exact.tensorsAfterEpoch).toHaveLength(3);
    expect(new Set(p.epoch.exact.tensorsAfterEpoch.slice(1)).size).toBe(1);
    positive(p.epoch.exactScheduleMinutesExtrapolated);
    positive(p.featureExtraction.imagesPerSecond);
    expect(p.featureExtraction.images).toBe(16);
    for (const phase of [p.decode, p.imageEmbedding, p.textSide, p.trainingStep, p.epoch, p.featureExtraction]) {
      expect(phase.rssScope).toBe('phase-process');
      expect(phase.peakRssBytes).toBeGreaterThan(20 * 2 ** 20);
    }
    // Separate processes: the phases' peaks differ (one process would give a rising sequence).
    expect(new Set([p.decode.peakRssBytes, p.textSide.peakRssBytes, p.featureExtraction.peakRssBytes]).size).toBe(3);
    expect(p.cliPredict?.wallSeconds).toHaveLength(5);
    expect(p.cliPredict?.model).toBe('bench-tiny');
    expect(p.schedules).toBeNull();
  });

  it('states each target; ViT-B/16 targets are not judged on the tiny model', () => {
    const names = result.targets.map((t) => t.name);
    expect(names.some((n) => n.includes('image embedding'))).toBe(true);
    expect(names.some((n) => n.includes('training step'))).toBe(true);
    expect(names.some((n) => n.includes('exact schedule'))).toBe(true);
    expect(names.some((n) => n.includes('vip predict'))).toBe(true);
    for (const t of result.targets.filter((x) => x.name.includes('(ViT-B/16)'))) expect(t.met).toBeNull();
    expect(typeof result.targets.find((t) => t.name.includes('vip predict'))?.met).toBe('boolean');
  });

  it('saves the same document under <data>/benchmarks, and bench.latest returns it', async () => {
    const files = readdirSync(join(data, 'benchmarks')).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const saved = JSON.parse(readFileSync(join(data, 'benchmarks', files[0] as string), 'utf8')) as unknown;
    expect(saved).toEqual(result);
    const engine = Engine.open({ dataDir: data, transport: 'cli' });
    try {
      const latest = await engine.call('bench.latest', {});
      expect(latest.result).toEqual(result);
      expect(latest.path).toBe(join(data, 'benchmarks', files[0] as string));
      expect(await engine.call('bench.latest', { preset: 'vit-b16' })).toEqual({ path: null, result: null });
    } finally {
      engine.close();
    }
  });

  it('refuses an unknown preset with exit code 2 and one line', () => {
    const bad = runVip(['--data', data, 'bench', '--preset', 'vit-h14']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/vit-h14/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
