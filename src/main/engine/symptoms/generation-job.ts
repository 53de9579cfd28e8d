/**
 * One VSG run as the CLI and the engine's `symptoms.generate` start it: every input checked before the first LLM call
 * (classes, image folders, the endpoint), the generator run with the default CLIP package's tokenizer (and its text
 * tower for near duplicates unless it has random weights), and the result stored as an unapproved version when every
 * class has at least one valid symptom.
 */
import type { ParsedParams } from '@shared/contract';
import { badInput } from '@shared/errors';
import { packageTokenizer } from '../model/embed';
import type { DataPaths } from '../paths';
import type { Store } from '../store/store';
import type { SymptomSetVersionRow } from '../store/symptom-set-repo';
import { openModelOrDefault } from '../vip/model-choice';
import { normaliseForComparison } from '../vip/symptom-set';
import { clipTextEmbedder } from './clip-text-embedder';
import { generateSymptoms, type GenerationProgress, type GenerationRecord } from './generator';
import { imagesFromFolder, imagesFromReviews, type SourceImage } from './image-grids';
import { createChatClient, type ChatClientOptions, type ChatEndpoint, type RetryInfo } from './llm-client';
import { PhraseMatcher } from './phrase-matching';
import { LLM_API_KEY, secretStore } from './secret-store';
import { recordGeneratedVersion } from './symptom-service';

export type GenerationParams = ParsedParams<'symptoms.generate'>;

export interface GenerationContext {
  paths: DataPaths;
  store: Store;
  actor: string;
}

export interface GenerationHooks {
  signal?: AbortSignal;
  onProgress?: (p: GenerationProgress) => void;
  onRetry?: (r: RetryInfo) => void;
  /** Injected in tests (fetch, backoff). */
  client?: Omit<ChatClientOptions, 'timeoutMs' | 'onRetry'>;
}

export interface GenerationOutcome {
  record: GenerationRecord;
  /** Null when some class ended with no valid symptom (nothing stored). */
  stored: { created: boolean; version: SymptomSetVersionRow } | null;
}

/** The endpoint: explicit values, then VIP_LLM_URL / VIP_LLM_MODEL, then the settings; the key from the secret store. */
export function resolveEndpoint(store: Store, overrides: { baseUrl?: string; model?: string }): ChatEndpoint {
  const settings = store.settings.get();
  const baseUrl = overrides.baseUrl?.trim() || process.env['VIP_LLM_URL']?.trim() || settings.llmBaseUrl.trim() || '';
  const model = overrides.model?.trim() || process.env['VIP_LLM_MODEL']?.trim() || settings.llmModel.trim() || '';
  if (baseUrl === '') {
    throw badInput(
      'no LLM endpoint: set the LLM base URL in Settings or pass --llm-url (e.g. http://127.0.0.1:11434/v1)',
    );
  }
  if (model === '') throw badInput('no LLM model: set the LLM model in Settings or pass --llm-model');
  return { baseUrl, model, apiKey: secretStore().get(LLM_API_KEY) };
}

function checkClasses(classes: readonly string[]): string[] {
  const out = classes.map((c) => c.replace(/\s+/g, ' ').trim());
  if (out.length < 2) throw badInput('give at least two classes');
  const seen = new Map<string, string>();
  for (const c of out) {
    if (c === '') throw badInput('a class name is empty');
    const key = normaliseForComparison(c);
    const clash = seen.get(key);
    if (clash !== undefined) throw badInput(`classes "${clash}" and "${c}" differ only in case or spacing`);
    seen.set(key, c);
  }
  return out;
}

/** Everything that can be checked without the LLM; throws badInput before any request. */
export async function prepareGeneration(
  ctx: GenerationContext,
  params: GenerationParams,
  hooks: GenerationHooks = {},
): Promise<() => Promise<GenerationOutcome>> {
  const classes = checkClasses(params.classes);
  const name = params.name.trim();
  if (params.imagesDir !== undefined && params.fromReviews)
    throw badInput('give an image folder or fromReviews, not both');
  let images: Map<string, SourceImage[]> | null = null;
  let imagesSource: string | null = null;
  if (params.imagesDir !== undefined) {
    images = await imagesFromFolder(params.imagesDir, classes);
    imagesSource = `folder ${params.imagesDir}`;
  } else if (params.fromReviews) {
    images = imagesFromReviews(ctx.store, classes);
    imagesSource = 'reviewed cases';
    if ([...images.values()].every((list) => list.length === 0)) {
      throw badInput(`no reviewed case is labelled with one of the classes ${classes.map((c) => `"${c}"`).join(', ')}`);
    }
  }
  const endpoint = resolveEndpoint(ctx.store, {
    ...(params.llmBaseUrl !== undefined ? { baseUrl: params.llmBaseUrl } : {}),
    ...(params.llmModel !== undefined ? { model: params.llmModel } : {}),
  });
  const client = createChatClient(endpoint, {
    ...hooks.client,
    timeoutMs: params.timeoutSeconds * 1000,
    ...(hooks.onRetry ? { onRetry: hooks.onRetry } : {}),
  });
  const pkg = await openModelOrDefault(ctx.paths.models);
  const useClip = params.clipMatching === 'on' || (params.clipMatching === 'auto' && !pkg.manifest.randomWeights);
  const matcher = new PhraseMatcher(useClip ? clipTextEmbedder(pkg) : null, {
    ...(params.clipDuplicateThreshold !== undefined ? { clipDuplicate: params.clipDuplicateThreshold } : {}),
    ...(params.stringDuplicateThreshold !== undefined ? { duplicate: params.stringDuplicateThreshold } : {}),
  });

  return async () => {
    const record = await generateSymptoms(
      {
        modality: params.modality.trim(),
        classes,
        images,
        imagesSource,
        k: params.k,
        grids: params.grids,
      },
      {
        client,
        tokenizer: packageTokenizer(pkg),
        contextLength: pkg.manifest.tokenizer.contextLength,
        matcher,
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
      },
    );
    if (!useClip) {
      record.warnings.push(
        params.clipMatching === 'off'
          ? 'near duplicates matched by words only (CLIP matching turned off)'
          : `near duplicates matched by words only: the default CLIP package "${pkg.manifest.id}" has random weights`,
      );
    }
    const stored = recordGeneratedVersion(ctx.store, {
      name,
      ...(params.task !== undefined ? { task: params.task } : {}),
      record,
      actor: ctx.actor,
    });
    return { record, stored };
  };
}
