/**
 * Both VSG stages against a fake OpenAI-compatible server on 127.0.0.1: stage 1 per class, stage 2 with 4x4 grids of
 * a labelled folder, features kept when they recur across grids and intersected with stage 1, validation with reasons;
 * answers without a list or in another language asked once more; an endpoint failing mid-run (classes done so far kept,
 * the run marked failed); cancellation. Also the grids themselves.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VipError } from '../../src/shared/errors';
import { generateSymptoms, intersect, type GenerationProgress } from '../../src/main/engine/symptoms/generator';
import { composeGrids, imagesFromFolder } from '../../src/main/engine/symptoms/image-grids';
import { createChatClient } from '../../src/main/engine/symptoms/llm-client';
import { PhraseMatcher } from '../../src/main/engine/symptoms/phrase-matching';
import { clipTokenizer } from '../../src/main/engine/symptoms/symptom-service';
import { REMINDER_PROMPT } from '../../src/main/engine/symptoms/vsg-prompts';
import { writeSyntheticDataset } from '../helpers/synthetic-dataset';
import { completion, imageUrls, lastUserText, startFakeLlm, type FakeLlm, type FakeReply } from './helpers/fake-llm';

let root: string;
let llm: FakeLlm;
const tokenizer = clipTokenizer();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vip-vsg-'));
  // 20 training images per class: fewer than 3 x 16, so the three grids share images.
  await writeSyntheticDataset(join(root, 'ds'), { perClass: { train: 20 }, size: 32 });
  llm = await startFakeLlm(() => ({ body: completion('') }));
});

afterAll(async () => {
  await llm.close();
  rmSync(root, { recursive: true, force: true });
});

function deps(extra: { signal?: AbortSignal; onProgress?: (p: GenerationProgress) => void } = {}) {
  return {
    client: createChatClient({ baseUrl: llm.url, model: 'fake-vlm' }, { initialBackoffMs: 1 }),
    tokenizer,
    matcher: new PhraseMatcher(null),
    ...extra,
  };
}

/** The class a prompt is about, and for stage 2 which grid of that class (1-based). */
function route(text: string): { stage: 1 | 2; category: string } {
  const s1 = /help to diagnose (.+?)\? /.exec(text);
  if (s1?.[1]) return { stage: 1, category: s1[1] };
  const s2 = /that all show (.+?)\. /.exec(text);
  if (s2?.[1]) return { stage: 2, category: s2[1] };
  throw new Error(`unexpected prompt: ${text}`);
}

describe('stage 1 and stage 2 together', () => {
  const stage1: Record<string, string> = {
    'round spot': [
      'Here are the features:',
      '1. a bright round disc on a dark background',
      '2. one small white circle',
      '3. a round spot in the middle',
      '4. a sharp circular edge',
      '5. a blue tint everywhere',
    ].join('\n'),
    striped:
      '```json\n["parallel light and dark bands", "a repeating line pattern", "even texture across the whole image"]\n```',
  };
  const stage2: Record<string, string[]> = {
    'round spot': [
      '1. bright round disc\n2. dark background\n3. sharp circular edges\n4. grainy noise',
      '- a bright disc that is round\n- smooth dark surroundings\n- sharp edge of a circle\n- grainy noise',
      '["white circle", "bright round disc", "dark background"]',
    ],
    striped: [
      '1. light and dark bands side by side\n2. repeating lines',
      '- parallel bands of light and dark\n- a pattern of repeating lines',
      '1. repeating line pattern\n2. bands of light and dark gray',
    ],
  };

  it('keeps stage 1 features confirmed by features recurring across grids, ranked by support', async () => {
    const seen: Record<string, number> = {};
    llm.requests.length = 0;
    llm.setHandler((req): FakeReply => {
      const { stage, category } = route(lastUserText(req.body));
      if (stage === 1) return { body: completion(stage1[category] ?? '') };
      const n = (seen[category] = (seen[category] ?? 0) + 1);
      return { body: completion(stage2[category]?.[n - 1] ?? '') };
    });
    const progress: GenerationProgress[] = [];
    const images = await imagesFromFolder(join(root, 'ds'), ['round spot', 'striped']);
    const record = await generateSymptoms(
      {
        modality: 'synthetic test image',
        classes: ['round spot', 'striped'],
        images,
        imagesSource: 'test folder',
        k: 2,
        grids: 3,
        cellSize: 32,
      },
      deps({ onProgress: (p) => progress.push(p) }),
    );

    const [spot, stripes] = record.perClass;
    expect(spot?.stage2?.minSupport).toBe(2);
    expect(spot?.stage2?.recurring).toEqual([
      { text: 'bright round disc', grids: [1, 2, 3], variants: ['bright round disc', 'a bright disc that is round'] },
      { text: 'dark background', grids: [1, 3], variants: ['dark background'] },
      { text: 'sharp circular edges', grids: [1, 2], variants: ['sharp circular edges', 'sharp edge of a circle'] },
      { text: 'grainy noise', grids: [1, 2], variants: ['grainy noise'] },
    ]);
    expect(spot?.kept).toEqual(['a bright round disc on a dark background', 'a sharp circular edge']);
    expect(spot?.dropped).toEqual([
      {
        text: 'one small white circle',
        reason: 'not confirmed by the images (no recurring stage 2 feature matches it)',
      },
      { text: 'a round spot in the middle', reason: 'names the class "round spot"' },
      {
        text: 'a blue tint everywhere',
        reason: 'not confirmed by the images (no recurring stage 2 feature matches it)',
      },
      { text: 'grainy noise', reason: 'seen in 2 grids but not in the stage 1 list' },
    ]);
    expect(stripes?.kept).toEqual(['parallel light and dark bands', 'a repeating line pattern']);
    expect(stripes?.dropped.map((d) => d.text)).toEqual(['even texture across the whole image']);
    expect(record.status).toBe('complete');
    expect(record.options.stages).toBe(2);

    // Provenance: every question and raw answer, with the grids' images.
    expect(record.calls).toHaveLength(2 + 6);
    expect(record.calls.filter((c) => c.stage === 1).map((c) => c.answer)).toEqual([
      stage1['round spot'],
      stage1.striped,
    ]);
    const gridCalls = record.calls.filter((c) => c.stage === 2);
    expect(gridCalls.map((c) => c.grid?.index)).toEqual([1, 2, 3, 1, 2, 3]);
    expect(gridCalls.every((c) => c.grid?.sources.length === 16 && c.answeredBy === 'fake-vlm-1')).toBe(true);
    expect(record.answeredBy).toEqual(['fake-vlm-1']);
    expect(record.calls[0]?.prompt).toMatch(/without|Do not use the words "round spot", "striped"/);

    // Stage 2 requests carry the grid as an image content part; stage 1 requests carry none.
    const withImages = llm.requests.map((r) => imageUrls(r.body));
    expect(
      withImages.filter((urls) => urls.length === 1 && urls[0]?.startsWith('data:image/jpeg;base64,')),
    ).toHaveLength(6);
    expect(withImages.filter((urls) => urls.length === 0)).toHaveLength(2);
    const grid = Buffer.from((withImages.find((u) => u.length === 1)?.[0] ?? '').split(',')[1] ?? '', 'base64');
    expect(await sharp(grid).metadata()).toMatchObject({ format: 'jpeg', width: 128, height: 128 });

    expect(progress.map((p) => p.phase)).toEqual([
      'stage1',
      'stage2',
      'stage2',
      'stage2',
      'stage1',
      'stage2',
      'stage2',
      'stage2',
      'validate',
    ]);
    expect(progress.at(-1)).toMatchObject({ done: 8, total: 9 });
  });
});

describe('intersection', () => {
  it('a stage 1 feature is confirmed by any wording of a recurring feature, and ranked by its support', () => {
    const recurring = [
      { text: 'repeating lines', grids: [1, 2, 3], variants: ['repeating lines'] },
      { text: 'bright round disc', grids: [1, 2], variants: ['bright round disc', 'pale halo around the disc'] },
    ];
    const result = intersect(
      ['a pale halo', 'a pattern of repeating lines', 'a blue tint'],
      recurring,
      new PhraseMatcher(null),
      () => null,
    );
    expect(result.ranked).toEqual(['a pattern of repeating lines', 'a pale halo']);
    expect(result.dropped).toEqual([
      { text: 'a blue tint', reason: 'not confirmed by the images (no recurring stage 2 feature matches it)' },
    ]);
  });
});

describe('stage 1 only', () => {
  it('asks once more when an answer holds no list or is not in English, and marks a short result partial', async () => {
    const answers: Record<string, string[]> = {
      melanoma: [
        "I'm sorry, I can't help with medical images.",
        [
          '1. several colors mixed together',
          '2. a lopsided, irregular shape',
          '3. a melanoma with a blurry border',
          '4. itchy skin',
          '5. scattered dots near the edge',
          '6. a blurry, notched border',
        ].join('\n'),
      ],
      nevus: [
        '1. eine gleichmäßige braune Farbe\n2. runde und symmetrische Form\n3. ein glatter Rand',
        '1. one even shade of brown\n2. a round, symmetric shape\n3. a smooth border',
      ],
    };
    const seen: Record<string, number> = {};
    let category = '';
    llm.requests.length = 0;
    llm.setHandler((req) => {
      const text = lastUserText(req.body);
      if (text !== REMINDER_PROMPT) category = route(text).category;
      const n = (seen[category] = (seen[category] ?? 0) + 1);
      return { body: completion(answers[category]?.[n - 1] ?? '') };
    });
    const record = await generateSymptoms({ modality: 'dermoscopy', classes: ['melanoma', 'nevus'], k: 4 }, deps());
    const [melanoma, nevus] = record.perClass;
    expect(melanoma?.kept).toEqual([
      'several colors mixed together',
      'a lopsided, irregular shape',
      'scattered dots near the edge',
      'a blurry, notched border',
    ]);
    expect(melanoma?.dropped).toEqual([
      { text: 'a melanoma with a blurry border', reason: 'names the class "melanoma"' },
      { text: 'itchy skin', reason: 'not something an image shows ("itchy")' },
    ]);
    expect(nevus?.kept).toEqual(['one even shade of brown', 'a round, symmetric shape', 'a smooth border']);
    expect(record.status).toBe('partial');
    expect(record.warnings).toContain('class "nevus": only 3 valid symptoms of the 4 asked for');
    expect(record.options.stages).toBe(1);
    // The reminder goes with the earlier answer, as a conversation.
    expect(record.calls.map((c) => [c.className, c.prompt === REMINDER_PROMPT, c.format])).toEqual([
      ['melanoma', false, 'none'],
      ['melanoma', true, 'numbered'],
      ['nevus', false, 'numbered'],
      ['nevus', true, 'numbered'],
    ]);
    expect(llm.requests[1]?.body.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
  });

  it('keeps the classes done when the endpoint fails, marks the run failed and stops asking', async () => {
    llm.requests.length = 0;
    llm.setHandler((req) =>
      route(lastUserText(req.body)).category === 'first'
        ? { body: completion('1. dark fields\n2. sharp outlines') }
        : { status: 401, body: { error: { message: 'invalid key' } } },
    );
    const record = await generateSymptoms(
      { modality: 'chest X-ray', classes: ['first', 'second', 'third'], k: 2 },
      deps(),
    );
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/refused the request \(401 Unauthorized\): invalid key/);
    expect(record.perClass.map((c) => c.kept)).toEqual([['dark fields', 'sharp outlines'], [], []]);
    expect(llm.requests).toHaveLength(2);
    expect(record.calls[1]).toMatchObject({ className: 'second', answer: null });
  });

  it('is cancelled at once, even while waiting for an answer', async () => {
    llm.setHandler(() => ({ delayMs: 10_000, body: completion('1. late') }));
    const controller = new AbortController();
    const pending = generateSymptoms(
      { modality: 'x', classes: ['a class', 'b class'] },
      deps({ signal: controller.signal }),
    );
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toSatisfy((e) => e instanceof VipError && e.code === 'cancelled');
  });
});

describe('image grids', () => {
  it('draws disjoint grids when there are enough images, else seeded draws, and skips unreadable files', async () => {
    const dir = join(root, 'grid-src');
    mkdirSync(dir, { recursive: true });
    const files = await writeSyntheticDataset(join(root, 'many'), { perClass: { train: 33 }, size: 24 });
    const spots = files.filter((f) => f.includes('round spot')).map((path) => ({ path, name: path }));
    writeFileSync(join(dir, 'broken.png'), 'not an image');
    const broken = { path: join(dir, 'broken.png'), name: 'broken.png' };

    const two = await composeGrids([broken, ...spots], { grids: 2, cellSize: 16 });
    expect(two.grids).toHaveLength(2);
    const [a, b] = two.grids;
    expect(a?.sources).toHaveLength(16);
    expect(b?.sources).toHaveLength(16);
    expect(a?.sources.filter((s) => b?.sources.includes(s))).toEqual([]);
    expect(two.warnings).toEqual([expect.stringMatching(/^skipped broken\.png: /)]);
    expect(await sharp(Buffer.from(a?.data ?? [])).metadata()).toMatchObject({ width: 64, height: 64 });

    const three = await composeGrids(spots.slice(0, 20), { grids: 3, cellSize: 16 });
    expect(three.grids.map((g) => g.sources.length)).toEqual([16, 16, 16]);
    expect(three.warnings).toEqual(['20 images are fewer than 3 x 16: the grids share images']);
    expect(new Set(three.grids.map((g) => g.sha256)).size).toBe(3);

    const few = await composeGrids(spots.slice(0, 5), { grids: 3, cellSize: 16 });
    expect(few.grids.map((g) => g.sources.length)).toEqual([5]);
    expect(few.warnings).toEqual(['only 5 images: one grid, 11 cells left black']);
  });

  it('names the class folders an image folder lacks', async () => {
    await expect(imagesFromFolder(join(root, 'ds'), ['round spot', 'checkered'])).rejects.toThrow(
      /no folder for class\(es\) "checkered"/,
    );
    await expect(imagesFromFolder(join(root, 'nope'), ['a', 'b'])).rejects.toThrow(/does not exist/);
  });
});
