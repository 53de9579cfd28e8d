/** Writes a Hugging Face CLIPModel folder (config, safetensors, tokenizer, preprocessor) from the demo generator. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clipTokenizerFiles } from '../../../src/main/engine/model/bpe-files';
import { generateDemoCheckpoint, type DemoCheckpoint } from '../../../src/main/engine/model/demo-checkpoint';
import { writeSafetensors } from '../../../src/main/engine/model/safetensors';

/** What openai/clip-vit-base-patch32 ships as preprocessor_config.json. */
export const openAiPreprocessorConfig = {
  crop_size: { height: 224, width: 224 },
  do_center_crop: true,
  do_convert_rgb: true,
  do_normalize: true,
  do_rescale: true,
  do_resize: true,
  feature_extractor_type: 'CLIPFeatureExtractor',
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_processor_type: 'CLIPImageProcessor',
  image_std: [0.26862954, 0.26130258, 0.27577711],
  resample: 3,
  rescale_factor: 0.00392156862745098,
  size: { shortest_edge: 224 },
};

export interface HfFolderFiles {
  'config.json': string;
  'model.safetensors': Uint8Array;
  'vocab.json': string;
  'merges.txt': string;
  'preprocessor_config.json': string;
}

let cachedFiles: HfFolderFiles | undefined;
let cachedDemo: DemoCheckpoint | undefined;

/** The tiny demo checkpoint (seed 0), generated once per test process. */
export function tinyCheckpoint(): DemoCheckpoint {
  return (cachedDemo ??= generateDemoCheckpoint({ preset: 'tiny', seed: 0 }));
}

/** The file contents of the tiny checkpoint as a Hugging Face folder holds them. */
export function tinyHfFiles(): HfFolderFiles {
  if (cachedFiles) return cachedFiles;
  const demo = tinyCheckpoint();
  const tok = clipTokenizerFiles();
  cachedFiles = {
    'config.json': JSON.stringify(demo.config, null, 2),
    'model.safetensors': writeSafetensors(demo.tensors, { format: 'pt' }),
    'vocab.json': tok.vocabJson,
    'merges.txt': tok.mergesTxt,
    'preprocessor_config.json': JSON.stringify(openAiPreprocessorConfig, null, 2),
  };
  return cachedFiles;
}

/** Writes the tiny checkpoint into `dir` (created); returns `dir`. */
export function writeTinyHfFolder(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(tinyHfFiles())) writeFileSync(join(dir, name), content);
  return dir;
}
