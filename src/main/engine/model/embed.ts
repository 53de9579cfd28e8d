/**
 * `vip embed`: CLIP features of images and texts with one package, exactly as the towers give them (projected, not
 * normalised), plus the token ids each text became. The reference point for checking the engine against another
 * CLIP implementation.
 */
import { readFile } from 'node:fs/promises';
import { badInput } from '@shared/errors';
import { openClipSessions, type SessionOptions } from './onnx-session';
import type { ModelPackage } from './package';
import { preprocessBatch } from './preprocess';
import { openModel } from './registry';
import { ClipTokenizer } from './tokenizer';

export interface EmbedInput {
  /** Image file paths, embedded in this order. */
  images?: readonly string[];
  texts?: readonly string[];
}

export interface EmbedResult {
  image_embeds: number[][];
  text_embeds: number[][];
  /** Each text's ids with start and end tokens, unpadded. */
  text_tokens: number[][];
}

const tokenizers = new WeakMap<ModelPackage, ClipTokenizer>();

/** The package's own tokenizer (vocab.json + merges.txt), built once per opened package. */
export function packageTokenizer(pkg: ModelPackage): ClipTokenizer {
  let tok = tokenizers.get(pkg);
  if (!tok) {
    tok = ClipTokenizer.fromFiles(pkg.path('vocab.json'), pkg.path('merges.txt'));
    tokenizers.set(pkg, tok);
  }
  return tok;
}

/** Tokenizes every text with SOT and EOT; a text longer than the model's context is an error naming it. */
export function tokenizeForPackage(pkg: ModelPackage, texts: readonly string[]): number[][] {
  const tok = packageTokenizer(pkg);
  return texts.map((t) => tok.encodeWithSpecial(t, pkg.manifest.tokenizer.contextLength));
}

/** Embeds with the package `id` under `modelsDir`. Inputs are checked (texts tokenized, files read) before any model runs. */
export async function embedWithModel(
  modelsDir: string,
  id: string,
  input: EmbedInput,
  sessionOptions: SessionOptions = {},
): Promise<EmbedResult> {
  const pkg = await openModel(modelsDir, id);
  return embedWithPackage(pkg, input, sessionOptions);
}

export async function embedWithPackage(
  pkg: ModelPackage,
  input: EmbedInput,
  sessionOptions: SessionOptions = {},
): Promise<EmbedResult> {
  const texts = input.texts ?? [];
  const images = input.images ?? [];
  const textTokens = tokenizeForPackage(pkg, texts);
  const files = await Promise.all(images.map(readImageFile));
  const { cropSize, imageSize, mean, std } = pkg.manifest.preprocessing;
  if (imageSize !== cropSize) {
    throw badInput(
      `model package "${pkg.manifest.id}": resizing to ${imageSize} before a ${cropSize} crop is not supported`,
    );
  }
  const pixels = images.length > 0 ? await preprocessBatch(files, { size: cropSize, mean, std }, images) : undefined;

  const sessions = await openClipSessions(pkg, sessionOptions);
  const E = sessions.projectionDim;
  const imageEmbeds = pixels ? await sessions.embedImages(pixels, images.length) : new Float32Array(0);
  const textEmbeds = texts.length > 0 ? await sessions.embedTexts(textTokens) : new Float32Array(0);
  return {
    image_embeds: rows(imageEmbeds, images.length, E),
    text_embeds: rows(textEmbeds, texts.length, E),
    text_tokens: textTokens,
  };
}

async function readImageFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw badInput(`Cannot read image ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function rows(flat: Float32Array, n: number, width: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(flat.subarray(i * width, (i + 1) * width)));
}
