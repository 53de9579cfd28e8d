/**
 * What `vip predict` and `vip eval` predict with, from their flags: a model version (its package, symptoms, prompt
 * and cached text side), a prompt file with a symptom set, or a zero-shot baseline over a symptom set. Every
 * combination that cannot work is refused here with one line, before any image is read.
 */
import { badInput } from '@shared/errors';
import { packageTokenizer } from '../model/embed';
import { openClipSessions, type ClipSessions } from '../model/onnx-session';
import type { ModelPackage } from '../model/package';
import type { DataPaths } from '../paths';
import type { Store } from '../store/store';
import type { PreparedTextSide } from './inference';
import { openModelOrDefault } from './model-choice';
import { readPromptFile } from './prompt-file';
import { preparedTextSide, textSideKey } from './predictor';
import { checkSymptomsFit, classNames, readSymptomSetFile, type SymptomSet } from './symptom-set';
import { symptomSetText } from './symptom-set-text';
import { textSideDiskCache } from './text-side-cache';
import { predictModes, type PredictMode } from './text-side';
import { loadVersion } from './versions';

export interface TextSideFlags {
  model?: string;
  symptoms?: string;
  prompt?: string;
  version?: number;
  mode?: string;
  template?: string;
}

export interface ChosenTextSide {
  pkg: ModelPackage;
  sessions: ClipSessions;
  mode: PredictMode;
  symptoms: SymptomSet;
  prepared: PreparedTextSide;
  versionId: number | null;
}

/** Checks the flags that need no files (the usage errors). */
export function checkTextSideFlags(flags: TextSideFlags): PredictMode {
  if (flags.prompt !== undefined && flags.version !== undefined) throw badInput('give --prompt or --version, not both');
  const trained = flags.prompt !== undefined || flags.version !== undefined;
  const mode = flags.mode ?? (trained ? 'vip' : 'zeroshot-symptoms');
  if (!(predictModes as readonly string[]).includes(mode)) {
    throw badInput(`--mode must be one of ${predictModes.join(', ')}, got "${mode}"`);
  }
  if (mode === 'vip' && !trained) throw badInput('--mode vip needs a trained prompt: --prompt FILE or --version ID');
  if (mode !== 'vip' && flags.prompt !== undefined)
    throw badInput(`--prompt is only used with --mode vip, not ${mode}`);
  if (flags.template !== undefined && mode !== 'zeroshot-classname') {
    throw badInput('--template is only used with --mode zeroshot-classname');
  }
  if (flags.template !== undefined && !flags.template.includes('{}')) {
    throw badInput(`--template "${flags.template}" has no {} where the class name goes`);
  }
  if (flags.version === undefined && flags.symptoms === undefined)
    throw badInput('--symptoms FILE is required (or --version ID)');
  return mode as PredictMode;
}

export async function chooseTextSide(
  env: { paths: DataPaths; store: () => Store },
  flags: TextSideFlags,
): Promise<ChosenTextSide> {
  const mode = checkTextSideFlags(flags);
  const fileSymptoms = (): SymptomSet | undefined =>
    flags.symptoms === undefined ? undefined : readSymptomSetFile(flags.symptoms);

  if (flags.version !== undefined) {
    const version = loadVersion(env.store(), env.paths, flags.version);
    if (flags.model !== undefined && flags.model !== version.row.modelPackageId) {
      throw badInput(
        `model version ${flags.version} was trained on model package "${version.row.modelPackageId}", not "${flags.model}"`,
      );
    }
    const given = fileSymptoms();
    if (given && symptomSetText(given) !== symptomSetText(version.symptoms)) {
      throw badInput(
        `${flags.symptoms}: model version ${flags.version} was trained with other symptoms; leave out --symptoms to use its own`,
      );
    }
    const pkg = await openModelOrDefault(env.paths.models, version.row.modelPackageId);
    const sessions = await openClipSessions(pkg);
    const request = {
      mode,
      symptoms: version.symptoms,
      ...(mode === 'vip' ? { prompt: version.prompt } : {}),
      ...(flags.template !== undefined ? { template: flags.template } : {}),
    };
    const prepared = await preparedTextSide(
      pkg,
      sessions,
      request,
      mode === 'vip' ? { stored: () => version.storedTextSide(), save: (side) => version.saveTextSide(side) } : {},
    );
    return { pkg, sessions, mode, symptoms: version.symptoms, prepared, versionId: version.row.id };
  }

  const symptoms = fileSymptoms() as SymptomSet;
  const pkg = await openModelOrDefault(env.paths.models, flags.model);
  const arch = pkg.manifest.architecture;
  const prompt =
    flags.prompt === undefined
      ? null
      : readPromptFile(flags.prompt, {
          classes: classNames(symptoms),
          textWidth: arch.text.hiddenSize,
          embedDim: arch.projectionDim,
        });
  const request = {
    mode,
    symptoms,
    ...(prompt ? { prompt } : {}),
    ...(flags.template !== undefined ? { template: flags.template } : {}),
  };
  const disk = textSideDiskCache(env.paths.features, pkg, textSideKey(pkg, request));
  // A stored text side was computed from these very symptoms and prompt, so they fit; else check before computing.
  const stored = disk.stored();
  if (!stored) {
    checkSymptomsFit(
      symptoms,
      {
        tokenizer: packageTokenizer(pkg),
        nCtx: prompt?.config.nCtx ?? 0,
        contextLength: pkg.manifest.tokenizer.contextLength,
      },
      flags.symptoms,
    );
  }
  const sessions = await openClipSessions(pkg);
  const prepared = await preparedTextSide(pkg, sessions, request, { stored: () => stored, save: disk.save });
  return { pkg, sessions, mode, symptoms, prepared, versionId: null };
}
