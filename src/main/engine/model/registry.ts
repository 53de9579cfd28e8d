/**
 * The installed model packages as a whole: listing, removing, the default choice, and the demo package that keeps the
 * app usable on a machine with no real CLIP yet.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelPackageInfo } from '@shared/contract';
import { badInput, notFound } from '@shared/errors';
import {
  createDemoPackage,
  listPackages,
  loadPackage,
  validatePackageId,
  type ModelPackage,
  type PackageListing,
} from './package';

export const DEMO_PACKAGE_ID = 'demo';

export function listModels(modelsDir: string): Promise<PackageListing[]> {
  return listPackages(modelsDir);
}

/** Opens an installed package by id, with an error that says how to find the valid ids. */
export async function openModel(modelsDir: string, id: string): Promise<ModelPackage> {
  validatePackageId(id);
  const dir = join(modelsDir, id);
  if (!existsSync(dir)) throw notFound(`No model package "${id}" (see \`vip models list\`)`);
  return loadPackage(dir);
}

/** Deletes a package. It disappears in one rename first, so nothing ever sees half of it. */
export async function removeModel(modelsDir: string, id: string): Promise<void> {
  validatePackageId(id);
  const dir = join(modelsDir, id);
  if (!existsSync(dir)) throw notFound(`No model package "${id}" (see \`vip models list\`)`);
  const doomed = join(modelsDir, `.removing-${id}-${randomBytes(6).toString('hex')}`);
  try {
    await rename(dir, doomed);
  } catch (err) {
    throw badInput(`Cannot remove model package "${id}" (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  await rm(doomed, { recursive: true, force: true });
}

/**
 * Creates the demo package (tiny preset, seed 0) when no usable package is installed; returns the usable packages'
 * ids afterwards. Safe when two processes race: the loser finds the winner's package.
 */
export async function ensureDemoPackage(modelsDir: string): Promise<string[]> {
  const usable = (await listPackages(modelsDir)).filter((p) => p.ok).map((p) => p.id);
  if (usable.length > 0) return usable;
  try {
    await createDemoPackage(modelsDir, { id: DEMO_PACKAGE_ID, preset: 'tiny', seed: 0 });
  } catch (err) {
    if (!existsSync(join(modelsDir, DEMO_PACKAGE_ID))) throw err;
  }
  return [DEMO_PACKAGE_ID];
}

/** The package to use when none is named: the first one with real weights, else the demo, else any usable one. */
export async function defaultPackageId(modelsDir: string): Promise<string> {
  const usable = (await listPackages(modelsDir)).filter((p) => p.ok);
  const real = usable.find((p) => p.ok && !p.manifest.randomWeights);
  const demo = usable.find((p) => p.id === DEMO_PACKAGE_ID);
  return real?.id ?? demo?.id ?? usable[0]?.id ?? DEMO_PACKAGE_ID;
}

/** What the UI and `vip models list` show of a package. */
export function describePackage(listing: PackageListing): ModelPackageInfo {
  if (!listing.ok) {
    return {
      id: listing.id,
      ok: false,
      error: listing.error,
      name: null,
      sourceKind: null,
      sourceRef: null,
      revision: null,
      randomWeights: null,
      warning: null,
      createdAt: null,
      architecture: null,
      imageSize: null,
      projectionDim: null,
      contextLength: null,
      sizeBytes: 0,
    };
  }
  const m = listing.manifest;
  const { vision: v, text: t } = m.architecture;
  return {
    id: listing.id,
    ok: true,
    error: null,
    name: m.name,
    sourceKind: m.source.kind,
    sourceRef: m.source.ref,
    revision: m.source.revision ?? null,
    randomWeights: m.randomWeights,
    warning: m.warning ?? null,
    createdAt: m.createdAt,
    architecture: `ViT/${v.patchSize} ${v.imageSize}px, vision ${v.hiddenSize}x${v.numLayers}, text ${t.hiddenSize}x${t.numLayers}, embed ${m.architecture.projectionDim}`,
    imageSize: v.imageSize,
    projectionDim: m.architecture.projectionDim,
    contextLength: m.tokenizer.contextLength,
    sizeBytes: Object.values(m.files).reduce((sum, f) => sum + f.bytes, 0),
  };
}

/** The listing entry of one package, as describePackage shows it. */
export async function describeModel(modelsDir: string, id: string): Promise<ModelPackageInfo> {
  const pkg = await openModel(modelsDir, id);
  return describePackage({ id, dir: pkg.dir, ok: true, manifest: pkg.manifest });
}
