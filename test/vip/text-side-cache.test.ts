/** The on-disk cache of text sides for symptom sets given as files (vip/text-side-cache.ts). */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ModelPackage } from '../../src/main/engine/model/package';
import { textSideDiskCache } from '../../src/main/engine/vip/text-side-cache';
import type { TextSide } from '../../src/main/engine/vip/text-side';

const root = mkdtempSync(join(tmpdir(), 'vip-text-side-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const pkg = (createdAt: string): ModelPackage =>
  ({
    manifest: {
      id: 'demo',
      createdAt,
      files: { 'text.onnx': { sha256: 'a'.repeat(64) }, 'text-embeds.onnx': { sha256: 'b'.repeat(64) } },
    },
  }) as unknown as ModelPackage;

const side: TextSide = {
  format: 1,
  kind: 'zeroshot-symptoms',
  aggregate: 'mean',
  embedDim: 2,
  logitScale: 100,
  classes: ['a', 'b'].map((name) => ({
    name,
    prototype: null,
    symptoms: [{ text: `${name} sign`, feature: [1, 0], weight: 1 }],
    s: [1, 0],
    sNorm: 1,
  })),
};

describe('text side disk cache', () => {
  it('gives back what was saved, for the same package and key only', () => {
    const features = join(root, 'features');
    const cache = textSideDiskCache(features, pkg('2026-01-01'), 'key1');
    expect(cache.stored()).toBeNull();
    cache.save(side);
    expect(textSideDiskCache(features, pkg('2026-01-01'), 'key1').stored()).toEqual(side);
    expect(textSideDiskCache(features, pkg('2026-01-01'), 'key2').stored()).toBeNull();
    // The same id imported again later is another package.
    expect(textSideDiskCache(features, pkg('2026-02-01'), 'key1').stored()).toBeNull();
    expect(readdirSync(join(features, '_text-sides')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('treats a damaged entry as missing and rewrites it', () => {
    const features = join(root, 'damaged');
    const cache = textSideDiskCache(features, pkg('2026-01-01'), 'k');
    cache.save(side);
    const [file] = readdirSync(join(features, '_text-sides'));
    writeFileSync(join(features, '_text-sides', file as string), '{"format": 1, "kind"');
    expect(cache.stored()).toBeNull();
    cache.save(side);
    expect(cache.stored()).toEqual(side);
  });
});
