/**
 * The visual symptom generator (VSG, VIP_METHOD.md section 5), both stages:
 *   1. per class, the text-only question; the answer parsed into a coarse list;
 *   2. per class with images, several 4x4 grids shown to the LLM with the colour/shape/texture question; features that
 *      recur across grids are kept and intersected with the stage 1 list (stage 1's wording, ranked by how many grids
 *      showed the feature).
 * Then every candidate is validated and the top k per class kept. Everything asked and answered is recorded for the
 * symptom set version's provenance. An endpoint that fails (unreachable, refusing the key) stops the run: the classes
 * done so far stay in the record, marked partial, with the error. Cancellation throws.
 */
import { VipError } from '@shared/errors';
import type { ClipTokenizer } from '../model/tokenizer';
import type { ChatClient, ChatMessage, ContentPart } from './llm-client';
import { parseFeatureList, type ListFormat } from './list-parsing';
import type { PhraseMatcher } from './phrase-matching';
import { composeGrids, GRID_CELLS, type SourceImage } from './image-grids';
import { languageProblem, selectSymptoms, symptomTextProblem, type DroppedSymptom } from './validation';
import { REMINDER_PROMPT, SYSTEM_PROMPT, stage1Prompt, stage2Prompt, type PromptClassContext } from './vsg-prompts';

export interface GenerateRequest {
  modality: string;
  classes: readonly string[];
  /** Stage 2 images per class; null or absent: stage 1 only. */
  images?: ReadonlyMap<string, readonly SourceImage[]> | null;
  /** Where the images came from, for the record ("folder /data/x", "reviewed cases"). */
  imagesSource?: string | null;
  /** Symptoms kept per class. Default 4. */
  k?: number;
  /** Grids per class in stage 2. Default 3. */
  grids?: number;
  /** Features asked for in stage 1. Default max(2k, 8). */
  candidates?: number;
  /** Grids a feature must appear in to count as recurring. Default: half the grids, at least 2 (1 with one grid). */
  minGridSupport?: number;
  seed?: number;
  /** Pixels per grid cell. Default 192. */
  cellSize?: number;
}

export interface GenerationProgress {
  phase: 'stage1' | 'stage2' | 'validate';
  className?: string;
  done: number;
  total: number;
  message: string;
}

export interface GenerateDeps {
  client: ChatClient;
  tokenizer: ClipTokenizer;
  contextLength?: number;
  nCtx?: number;
  matcher: PhraseMatcher;
  signal?: AbortSignal;
  onProgress?: (p: GenerationProgress) => void;
}

export interface LlmCallRecord {
  stage: 1 | 2;
  className: string;
  /** Stage 2: which grid (1-based), its checksum and the images in it. */
  grid?: { index: number; sha256: string; sources: string[] };
  /** The question (the reminder for a second try). */
  prompt: string;
  answer: string | null;
  answeredBy: string | null;
  error?: string;
  at: string;
  ms: number;
  attempts: number;
  format: ListFormat;
  items: string[];
}

export interface RecurringFeature {
  text: string;
  /** Grids (1-based) that showed it. */
  grids: number[];
  /** Every wording of it across the grids (the first is `text`). */
  variants: string[];
}

export interface ClassGeneration {
  name: string;
  stage1: string[];
  stage2: { grids: string[][]; recurring: RecurringFeature[]; minSupport: number; warnings: string[] } | null;
  /** Ranked candidates handed to validation. */
  candidates: string[];
  kept: string[];
  dropped: DroppedSymptom[];
  error: string | null;
}

export interface GenerationRecord {
  kind: 'vsg';
  startedAt: string;
  finishedAt: string;
  endpoint: string;
  model: string;
  /** Models the server said answered. */
  answeredBy: string[];
  modality: string;
  classes: string[];
  options: {
    k: number;
    grids: number;
    candidates: number;
    minGridSupport: number | null;
    stages: 1 | 2;
    imagesSource: string | null;
    matching: { clip: string | null; thresholds: PhraseMatcher['thresholds'] };
  };
  calls: LlmCallRecord[];
  perClass: ClassGeneration[];
  /** Complete: every class has k symptoms. Partial: fewer somewhere. Failed: the endpoint stopped the run. */
  status: 'complete' | 'partial' | 'failed';
  error: string | null;
  warnings: string[];
}

/** The kept symptoms per class, in class order. */
export function keptSymptoms(record: GenerationRecord): Record<string, string[]> {
  return Object.fromEntries(record.perClass.map((c) => [c.name, [...c.kept]]));
}

function cancelledCheck(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new VipError('cancelled', 'symptom generation was cancelled');
}

/** Endpoint-level failures stop the whole run; anything about one answer is that class's problem only. */
function isEndpointFailure(err: unknown): boolean {
  return err instanceof VipError && (err.code === 'unavailable' || err.code === 'bad_input');
}

export async function generateSymptoms(req: GenerateRequest, deps: GenerateDeps): Promise<GenerationRecord> {
  const k = req.k ?? 4;
  const gridCount = req.grids ?? 3;
  const candidates = req.candidates ?? Math.max(2 * k, 8);
  const classes = [...req.classes];
  const withImages = req.images ? classes.filter((c) => (req.images?.get(c)?.length ?? 0) > 0) : [];
  const stages: 1 | 2 = withImages.length > 0 ? 2 : 1;
  const record: GenerationRecord = {
    kind: 'vsg',
    startedAt: new Date().toISOString(),
    finishedAt: '',
    endpoint: deps.client.endpoint.url,
    model: deps.client.endpoint.model,
    answeredBy: [],
    modality: req.modality,
    classes,
    options: {
      k,
      grids: gridCount,
      candidates,
      minGridSupport: req.minGridSupport ?? null,
      stages,
      imagesSource: req.imagesSource ?? null,
      matching: { clip: deps.matcher.clipLabel, thresholds: deps.matcher.thresholds },
    },
    calls: [],
    perClass: classes.map((name) => ({
      name,
      stage1: [],
      stage2: null,
      candidates: [],
      kept: [],
      dropped: [],
      error: null,
    })),
    status: 'complete',
    error: null,
    warnings: [],
  };
  if (req.images) {
    for (const c of classes.filter((c) => !withImages.includes(c))) {
      record.warnings.push(`class "${c}": no images, stage 1 only`);
    }
  }
  const total = classes.length + withImages.length * gridCount + 1;
  let done = 0;
  const progress = (p: Omit<GenerationProgress, 'done' | 'total'>): void => deps.onProgress?.({ ...p, done, total });
  const textCtx = { classes, tokenizer: deps.tokenizer, nCtx: deps.nCtx, contextLength: deps.contextLength };

  /** Asks, parses, and asks once more when the answer held no usable English list. */
  const ask = async (
    base: Omit<LlmCallRecord, 'prompt' | 'answer' | 'answeredBy' | 'at' | 'ms' | 'attempts' | 'format' | 'items'>,
    prompt: string,
    content: string | ContentPart[],
  ): Promise<string[]> => {
    const messages: ChatMessage[] = [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content },
    ];
    let last: string[] = [];
    for (let round = 0; round < 2; round++) {
      cancelledCheck(deps.signal);
      const at = new Date().toISOString();
      const started = Date.now();
      const asked = round === 0 ? prompt : REMINDER_PROMPT;
      try {
        const answer = await deps.client.complete({ messages, ...(deps.signal ? { signal: deps.signal } : {}) });
        const parsed = parseFeatureList(answer.content);
        record.calls.push({
          ...base,
          prompt: asked,
          answer: answer.content,
          answeredBy: answer.model || null,
          at,
          ms: answer.ms,
          attempts: answer.attempts,
          format: parsed.format,
          items: parsed.items,
        });
        if (answer.model && !record.answeredBy.includes(answer.model)) record.answeredBy.push(answer.model);
        last = parsed.items;
        // An answer with nothing usable in it (a refusal, another language) gets one reminder.
        if (parsed.items.some((i) => symptomTextProblem(i, textCtx) === null)) return parsed.items;
        messages.push({ role: 'assistant', content: answer.content }, { role: 'user', content: REMINDER_PROMPT });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        record.calls.push({
          ...base,
          prompt: asked,
          answer: null,
          answeredBy: null,
          error: message,
          at,
          ms: Date.now() - started,
          attempts: 0,
          format: 'none',
          items: [],
        });
        throw err;
      }
    }
    return last;
  };

  try {
    for (const [ci, name] of classes.entries()) {
      const cls = record.perClass[ci] as ClassGeneration;
      const ctx: PromptClassContext = { modality: req.modality, category: name, classes };
      progress({ phase: 'stage1', className: name, message: `stage 1: asking about "${name}"` });
      const prompt = stage1Prompt(ctx, candidates);
      cls.stage1 = await ask({ stage: 1, className: name }, prompt, prompt);
      done++;
      if (cls.stage1.length === 0) cls.error = 'the LLM answered twice without a usable list of features in English';
      else if (cls.stage1.every((i) => languageProblem(i) !== null)) cls.error = 'the answer was not in English';

      const images = req.images?.get(name);
      if (!images || images.length === 0) {
        cls.candidates = [...cls.stage1];
        continue;
      }
      const composed = await composeGrids(images, {
        grids: gridCount,
        ...(req.cellSize !== undefined ? { cellSize: req.cellSize } : {}),
        ...(req.seed !== undefined ? { seed: req.seed } : {}),
        ...(deps.signal ? { signal: deps.signal } : {}),
      });
      const perGrid: string[][] = [];
      for (const [gi, grid] of composed.grids.entries()) {
        progress({
          phase: 'stage2',
          className: name,
          message: `stage 2: "${name}", grid ${gi + 1} of ${composed.grids.length}`,
        });
        const q = stage2Prompt(ctx, Math.min(grid.sources.length, GRID_CELLS));
        perGrid.push(
          await ask(
            { stage: 2, className: name, grid: { index: gi + 1, sha256: grid.sha256, sources: grid.sources } },
            q,
            [
              { type: 'text', text: q },
              { type: 'image_url', image_url: { url: grid.dataUrl } },
            ],
          ),
        );
        done++;
      }
      done += gridCount - composed.grids.length;
      const minSupport = req.minGridSupport ?? (perGrid.length >= 2 ? Math.max(2, Math.ceil(perGrid.length / 2)) : 1);
      await deps.matcher.prepare([...cls.stage1, ...perGrid.flat()]);
      const recurring = recurringFeatures(perGrid, deps.matcher).filter((f) => f.grids.length >= minSupport);
      cls.stage2 = { grids: perGrid, recurring, minSupport, warnings: composed.warnings };
      for (const w of composed.warnings) record.warnings.push(`class "${name}": ${w}`);
      const { ranked, dropped } = intersect(cls.stage1, recurring, deps.matcher, (t) => symptomTextProblem(t, textCtx));
      cls.candidates = ranked;
      cls.dropped.push(...dropped);
    }
  } catch (err) {
    if (!isEndpointFailure(err)) throw err;
    record.status = 'failed';
    record.error = err instanceof Error ? err.message : String(err);
  }

  cancelledCheck(deps.signal);
  progress({ phase: 'validate', message: 'validating the symptoms' });
  const selection = await selectSymptoms(
    record.perClass.map((c) => ({ name: c.name, ranked: c.candidates })),
    { ...textCtx, k, matcher: deps.matcher },
  );
  selection.classes.forEach((sel, i) => {
    const cls = record.perClass[i] as ClassGeneration;
    cls.kept = sel.kept;
    cls.dropped.push(...sel.dropped);
  });
  done++;
  record.warnings.push(...selection.warnings);
  for (const c of record.perClass) if (c.error) record.warnings.push(`class "${c.name}": ${c.error}`);
  if (record.status !== 'failed' && record.perClass.some((c) => c.kept.length < k)) record.status = 'partial';
  record.finishedAt = new Date().toISOString();
  return record;
}

/** Features across grids grouped when they name the same thing; each group keeps its first wording. */
export function recurringFeatures(perGrid: readonly string[][], matcher: PhraseMatcher): RecurringFeature[] {
  const groups: { text: string; members: string[]; grids: Set<number> }[] = [];
  perGrid.forEach((items, gi) => {
    for (const item of items) {
      let best: (typeof groups)[number] | undefined;
      let bestScore = -Infinity;
      for (const g of groups) {
        if (!g.members.some((m) => matcher.sameFeature(m, item))) continue;
        const score = Math.max(...g.members.map((m) => matcher.score(m, item)));
        if (score > bestScore) {
          bestScore = score;
          best = g;
        }
      }
      if (best) {
        best.members.push(item);
        best.grids.add(gi + 1);
      } else groups.push({ text: item, members: [item], grids: new Set([gi + 1]) });
    }
  });
  return groups
    .map((g) => ({ text: g.text, grids: [...g.grids].sort((a, b) => a - b), variants: [...new Set(g.members)] }))
    .sort((a, b) => b.grids.length - a.grids.length);
}

/**
 * Stage 1 items confirmed by a recurring stage 2 feature, ranked by how many grids showed it (then stage 1's order).
 * Items failing the single-text checks are dropped with that reason first, so the reason shown is the real one.
 */
export function intersect(
  stage1: readonly string[],
  recurring: readonly RecurringFeature[],
  matcher: PhraseMatcher,
  textProblem: (text: string) => string | null,
): { ranked: string[]; dropped: DroppedSymptom[] } {
  const dropped: DroppedSymptom[] = [];
  const confirmed: { text: string; support: number; index: number }[] = [];
  const used = new Set<string>();
  stage1.forEach((text, index) => {
    const problem = textProblem(text);
    if (problem) {
      dropped.push({ text, reason: problem });
      return;
    }
    const matches = recurring.filter((f) => f.variants.some((v) => matcher.sameFeature(text, v)));
    if (matches.length === 0) {
      dropped.push({ text, reason: 'not confirmed by the images (no recurring stage 2 feature matches it)' });
      return;
    }
    for (const m of matches) used.add(m.text);
    confirmed.push({ text, support: Math.max(...matches.map((m) => m.grids.length)), index });
  });
  for (const f of recurring) {
    if (!used.has(f.text)) {
      dropped.push({
        text: f.text,
        reason: `seen in ${f.grids.length} grid${f.grids.length === 1 ? '' : 's'} but not in the stage 1 list`,
      });
    }
  }
  confirmed.sort((a, b) => b.support - a.support || a.index - b.index);
  return { ranked: confirmed.map((c) => c.text), dropped };
}
