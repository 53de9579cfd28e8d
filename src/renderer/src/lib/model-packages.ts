/** What the Models screen and the shell banner derive from `models.list`: labels, the default's state, free ids. */
import { ModelPackageId, type ModelPackageInfo } from '@shared/contract';
import type { ModelList } from '../api/models-state';

const SOURCE_LABELS: Record<string, string> = {
  demo: 'Generated demo',
  'huggingface-folder': 'Hugging Face folder',
  'huggingface-hub': 'Hugging Face Hub',
  'onnx-folder': 'ONNX folder',
};

export function sourceLabel(kind: string | null): string {
  if (kind === null) return '';
  return SOURCE_LABELS[kind] ?? kind;
}

export function usablePackages(list: ModelList): ModelPackageInfo[] {
  return list.packages.filter((p) => p.ok);
}

export type DefaultState =
  | { kind: 'real'; pkg: ModelPackageInfo }
  | { kind: 'random'; pkg: ModelPackageInfo }
  /** The engine names a default that is not installed or cannot be opened. */
  | { kind: 'unusable'; id: string; damaged: boolean };

export function defaultState(list: ModelList): DefaultState {
  const pkg = list.packages.find((p) => p.id === list.defaultId);
  if (!pkg || !pkg.ok) return { kind: 'unusable', id: list.defaultId, damaged: pkg !== undefined };
  return pkg.randomWeights === false ? { kind: 'real', pkg } : { kind: 'random', pkg };
}

/** Why `id` cannot name a new package, or null when it can. Same rule as the contract, plus "not taken". */
export function packageIdProblem(id: string, taken: readonly string[]): string | null {
  if (id === '') return 'Enter an id.';
  const parsed = ModelPackageId.safeParse(id);
  if (!parsed.success) return `Use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit.`;
  // Package folders live on file systems that may ignore case, so "Demo" would collide with "demo".
  if (taken.some((t) => t.toLowerCase() === id.toLowerCase())) return `A package "${id}" already exists.`;
  return null;
}

/** `base` if free, else base-2, base-3, ... */
export function freeId(base: string, taken: readonly string[]): string {
  const lower = new Set(taken.map((t) => t.toLowerCase()));
  if (!lower.has(base.toLowerCase())) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (!lower.has(candidate.toLowerCase())) return candidate;
  }
}

/** A package id proposed from a folder path's last part ("…/clip-vit-base-patch32/" -> "clip-vit-base-patch32"). */
export function idFromFolder(folder: string): string {
  const last =
    folder
      .trim()
      .split(/[\\/]+/)
      .filter((part) => part !== '')
      .pop() ?? '';
  return last
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 64);
}
