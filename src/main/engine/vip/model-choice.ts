/**
 * Which CLIP package a command uses: the one named, else the default (the first with real weights, else the demo).
 * The tiny demo is generated on first use, so a fresh install can run every command.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createDemoPackage, type ModelPackage } from '../model/package';
import { DEMO_PACKAGE_ID, defaultPackageId, openModel } from '../model/registry';

export async function openModelOrDefault(modelsDir: string, id?: string): Promise<ModelPackage> {
  const chosen = id ?? (await defaultPackageId(modelsDir));
  if (chosen === DEMO_PACKAGE_ID && !existsSync(join(modelsDir, chosen))) {
    try {
      await createDemoPackage(modelsDir, { id: DEMO_PACKAGE_ID, preset: 'tiny', seed: 0 });
    } catch (err) {
      // Another process may have finished creating it first.
      if (!existsSync(join(modelsDir, chosen))) throw err;
    }
  }
  return openModel(modelsDir, chosen);
}
