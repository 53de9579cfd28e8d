/** Where everything lives inside one data folder. One function, so every module agrees. */
import { homedir, platform } from 'node:os';
import { join, resolve } from 'node:path';

export interface DataPaths {
  root: string;
  database: string;
  /** Managed image folder, files named by content hash. */
  images: string;
  /** CLIP model packages, one folder per package id. */
  models: string;
  /** Trained ViP heads (model versions). */
  versions: string;
  /** Cached image features per package and preprocessing. */
  features: string;
  /** Scratch space on the same filesystem, so finished files can be renamed into place atomically. */
  tmp: string;
  benchmarks: string;
}

export function dataPaths(root: string): DataPaths {
  const r = resolve(root);
  return {
    root: r,
    database: join(r, 'vip.db'),
    images: join(r, 'images'),
    models: join(r, 'models'),
    versions: join(r, 'versions'),
    features: join(r, 'features'),
    tmp: join(r, 'tmp'),
    benchmarks: join(r, 'benchmarks'),
  };
}

/** The per-user app data folder (what Electron's app.getPath('userData') gives for this app name). */
export function defaultDataDir(): string {
  const app = 'ViP Workstation';
  switch (platform()) {
    case 'win32':
      return join(process.env['APPDATA'] ?? join(homedir(), 'AppData', 'Roaming'), app);
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', app);
    default:
      return join(process.env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config'), app);
  }
}

/** `--data` beats VIP_DATA_DIR beats the per-user default. */
export function resolveDataDir(flag?: string): string {
  return resolve(flag ?? process.env['VIP_DATA_DIR'] ?? defaultDataDir());
}
