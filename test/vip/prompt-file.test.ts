import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VipError } from '@shared/errors';
import { readSafetensors, writeSafetensors } from '../../src/main/engine/model/safetensors';
import type { HeadConfig } from '../../src/main/engine/vip/config';
import { encodePromptFile, readPromptFile, writePromptFile } from '../../src/main/engine/vip/prompt-file';
import { initPromptWeights, type PromptWeights } from '../../src/main/engine/vip/weights';

const classes = ['normal lung', 'pneumonia'];
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vip-prompt-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const config = (over: Partial<HeadConfig> = {}): HeadConfig => ({
  method: 'vip',
  aggregate: 'mep',
  nCtx: 4,
  classSpecific: false,
  ...over,
});
const make = (c: HeadConfig, textWidth = 16, embedDim = 12): PromptWeights =>
  initPromptWeights({ classes, config: c, textWidth, embedDim, seed: 5 });

function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VipError);
    expect((err as VipError).code).toBe('bad_input');
    return (err as VipError).message;
  }
  throw new Error('expected a bad_input error');
}

describe('prompt.safetensors', () => {
  it('round-trips every configuration bit for bit', () => {
    for (const c of [
      config(),
      config({ classSpecific: true }),
      config({ nCtx: 0 }),
      config({ aggregate: 'mean' }),
      config({ aggregate: 'max', nCtx: 2 }),
      { method: 'coop', aggregate: 'mep', nCtx: 8, classSpecific: false } satisfies HeadConfig,
    ]) {
      const w = make(c);
      const path = join(dir, 'prompt.safetensors');
      writePromptFile(path, w, { symptom_set_version: 'sv-1' });
      const back = readPromptFile(path, { classes, textWidth: 16, embedDim: 12 });
      expect(back).toEqual(w);
    }
    // No temporary files are left behind.
    expect(readdirSync(dir)).toEqual(['prompt.safetensors']);
  });

  it('stores the documented tensor names, shapes and metadata', () => {
    const file = readSafetensors(encodePromptFile(make(config()), { symptom_set_version: 'sv-1', classes: 'ignored' }));
    expect([...file.tensors.keys()].sort()).toEqual([
      'cop.ctx',
      'mep.class_tokens',
      'mep.k_proj.weight',
      'mep.q_proj.weight',
    ]);
    expect(file.tensors.get('cop.ctx')?.shape).toEqual([4, 16]);
    expect(file.tensors.get('mep.class_tokens')?.shape).toEqual([2, 12]);
    expect(file.tensors.get('mep.q_proj.weight')?.shape).toEqual([12, 12]);
    expect(file.metadata['classes']).toBe('["normal lung","pneumonia"]');
    expect(file.metadata['n_ctx']).toBe('4');
    expect(file.metadata['method']).toBe('vip');
    expect(file.metadata['aggregate']).toBe('mep');
    expect(file.metadata['class_specific']).toBe('false');
    expect(file.metadata['symptom_set_version']).toBe('sv-1');
    const csc = readSafetensors(encodePromptFile(make(config({ classSpecific: true, aggregate: 'mean' }))));
    expect(csc.tensors.get('cop.ctx')?.shape).toEqual([2, 4, 16]);
    expect(csc.tensors.has('mep.class_tokens')).toBe(false);
  });

  it('initialisation follows the authors: N(0, 0.02) context and tokens, Xavier-normal projections, seeded', () => {
    const d = 64;
    const w = initPromptWeights({ classes, config: config(), textWidth: 64, embedDim: d, seed: 9 });
    const std = (a: Float32Array | undefined): number =>
      Math.sqrt(Array.from(a ?? []).reduce((s, x) => s + x * x, 0) / (a?.length ?? 1));
    expect(std(w.ctx?.data)).toBeGreaterThan(0.017);
    expect(std(w.ctx?.data)).toBeLessThan(0.023);
    expect(std(w.qProj?.data)).toBeGreaterThan(0.9 / Math.sqrt(d));
    expect(std(w.qProj?.data)).toBeLessThan(1.1 / Math.sqrt(d));
    expect(initPromptWeights({ classes, config: config(), textWidth: 64, embedDim: d, seed: 9 })).toEqual(w);
    expect(
      initPromptWeights({ classes, config: config(), textWidth: 64, embedDim: d, seed: 10 }).ctx?.data,
    ).not.toEqual(w.ctx?.data);
  });

  it('refuses a prompt for other classes, another order, or another model width', () => {
    const path = join(dir, 'p.safetensors');
    writePromptFile(path, make(config()));
    expect(userError(() => readPromptFile(path, { classes: ['normal lung', 'covid'] }))).toBe(
      `${path} was trained for classes ["normal lung","pneumonia"]; the symptom set has ["normal lung","covid"]`,
    );
    expect(userError(() => readPromptFile(path, { classes: ['pneumonia', 'normal lung'] }))).toMatch(
      /trained for classes/,
    );
    expect(userError(() => readPromptFile(path, { textWidth: 64 }))).toBe(
      `${path} is for text width 16, this model has 64`,
    );
    expect(userError(() => readPromptFile(path, { embedDim: 512 }))).toBe(
      `${path} is for feature size 12, this model has 512`,
    );
  });

  it('refuses damaged or foreign files', () => {
    const path = join(dir, 'x.safetensors');
    const w = make(config());
    const tensors = new Map([
      ['cop.ctx', w.ctx ?? { shape: [], data: new Float32Array() }],
      ['mep.class_tokens', w.classTokens ?? { shape: [], data: new Float32Array() }],
    ]);
    const meta = { classes: JSON.stringify(classes), n_ctx: '4', text_width: '16', embed_dim: '12' };
    writeFileSync(path, writeSafetensors(tensors, meta));
    expect(userError(() => readPromptFile(path))).toMatch(/tensor mep\.q_proj\.weight is missing/);
    writeFileSync(path, writeSafetensors(tensors, { ...meta, classes: 'nope' }));
    expect(userError(() => readPromptFile(path))).toMatch(/"classes" is not a JSON list/);
    writeFileSync(path, writeSafetensors(tensors, { n_ctx: '4' }));
    expect(userError(() => readPromptFile(path))).toMatch(/"classes" is missing; not a ViP prompt file/);
    writeFileSync(
      path,
      writeSafetensors(new Map([['text_projection.weight', w.ctx ?? { shape: [], data: new Float32Array() }]]), meta),
    );
    expect(userError(() => readPromptFile(path))).toMatch(/unexpected tensor "text_projection.weight"/);
    writeFileSync(
      path,
      writeSafetensors(new Map([['cop.ctx', w.ctx ?? { shape: [], data: new Float32Array() }]]), {
        ...meta,
        n_ctx: '3',
      }),
    );
    expect(userError(() => readPromptFile(path))).toMatch(/cop\.ctx has shape \[4, 16\], expected \[3, 16\]/);
    writeFileSync(path, writeSafetensors(tensors, { ...meta, aggregate: 'median' }));
    expect(userError(() => readPromptFile(path))).toMatch(/aggregate "median" is not one of mep, mean, max/);
    writeFileSync(path, 'not a safetensors file');
    expect(userError(() => readPromptFile(path))).toMatch(/not a valid safetensors file/);
    expect(userError(() => readPromptFile(join(dir, 'missing.safetensors')))).toMatch(/cannot open/);
  });

  it('refuses configurations with nothing to train before writing anything', () => {
    const path = join(dir, 'p.safetensors');
    expect(userError(() => make(config({ nCtx: 0, aggregate: 'mean' })))).toMatch(/nothing to train/);
    expect(userError(() => make({ method: 'coop', aggregate: 'mep', nCtx: 0, classSpecific: false }))).toMatch(/CoOp/);
    const w = make(config());
    expect(userError(() => writePromptFile(path, { ...w, qProj: null }))).toMatch(/mep\.q_proj\.weight is missing/);
    expect(existsSync(path)).toBe(false);
  });
});
