/**
 * `vip models fetch`: download a CLIP checkpoint from the Hugging Face Hub (or a mirror speaking the same
 * `/<repo>/resolve/<revision>/<file>` protocol), then import it like a local folder.
 *
 * Downloads survive bad networks: each file goes to a `.part` file that a retry (or a later run) resumes with an
 * HTTP Range request; stalls time out; transient failures are retried with backoff. LFS files are checked against
 * the sha256 the hub announces in `X-Linked-Etag`; other files have their sha256 recorded in the package source.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ModelBuildProgress } from '@shared/contract';
import { badInput, VipError } from '@shared/errors';
import { parseClipConfig } from './clip-config';
import { importHuggingFaceFolder } from './import';
import { validatePackageId, type ModelPackage, type PackageFile } from './package';

export interface FetchProgress {
  file: string;
  /** Bytes of this file on disk so far (resumed bytes included). */
  bytes: number;
  /** The file's size when the server says it, else null. */
  totalBytes: number | null;
  /** 1-based position of the file in the download, and how many are planned so far. */
  fileIndex: number;
  fileCount: number;
}

export interface FetchOptions {
  revision?: string;
  /** Defaults to $HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Bearer token for private or gated repositories; defaults to $HF_TOKEN. Sent to the hub only, never to its CDN. */
  token?: string;
  /** Package id; defaults to the repository's name (`openai/clip-vit-base-patch32` → `clip-vit-base-patch32`). */
  id?: string;
  modelsDir: string;
  /** Scratch folder on the models folder's filesystem; defaults to the data folder's `tmp`. */
  tmpDir?: string;
  onProgress?: (progress: FetchProgress) => void;
  /** Called as each package file is written, after the download. */
  onFile?: (name: PackageFile) => void;
  /** Called when a downloaded file's checksum is computed (verify) and when the package build begins (build). */
  onPhase?: (phase: 'verify' | 'build', file?: string) => void;
  /** The package build's steps, after the download. */
  onBuild?: (progress: ModelBuildProgress) => void;
  /** Stops the download (its partial files stay for a resume) or the build (nothing is left of it). */
  signal?: AbortSignal;
  /** Attempts per file for transient failures (default 5). */
  attempts?: number;
  /** First retry delay; doubles each time, capped at 15 s (default 1000 ms). */
  retryDelayMs?: number;
  /** No response, or no bytes, for this long aborts the attempt (default 60 s). */
  stallTimeoutMs?: number;
}

export interface FetchedFile {
  name: string;
  size: number;
  sha256: string;
  /** True when the sha256 was compared with the one the hub announced (LFS files). */
  verified: boolean;
  etag: string | null;
}

export interface FetchResult {
  package: ModelPackage;
  repo: string;
  revision: string;
  commit: string | null;
  files: FetchedFile[];
}

const REPO_RE = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;
const SHA256_RE = /^[0-9a-f]{64}$/;
const MAX_REDIRECTS = 10;

/** The repository id trimmed, or a bad-input error saying what one looks like. */
export function checkRepoId(repoId: string): string {
  const repo = repoId.trim();
  if (!REPO_RE.test(repo) || repo.includes('..')) {
    throw badInput(
      `"${repoId}" is not a Hugging Face repository id (expected owner/name, e.g. openai/clip-vit-base-patch32)`,
    );
  }
  return repo;
}

/** Download `repoId` at `revision` and import it as a model package. */
export async function fetchFromHub(repoId: string, options: FetchOptions): Promise<FetchResult> {
  const repo = checkRepoId(repoId);
  const revision = options.revision ?? 'main';
  if (!revision || /\.\.|^\/|[\s?#]/.test(revision)) throw badInput(`"${revision}" is not a valid revision`);
  const endpoint = (options.endpoint ?? process.env['HF_ENDPOINT'] ?? 'https://huggingface.co').replace(/\/+$/, '');
  try {
    new URL(endpoint);
  } catch {
    throw badInput(`Hub endpoint "${endpoint}" is not a URL`);
  }
  const id = validatePackageId(options.id ?? defaultIdFor(repo));
  // Fail before downloading gigabytes, not after.
  if (existsSync(join(options.modelsDir, id))) {
    throw badInput(`model package "${id}" already exists; choose another id with --id or remove it first`);
  }
  const tmpDir = options.tmpDir ?? join(dirname(options.modelsDir), 'tmp');
  const downloadDir = join(tmpDir, `hub-${safeName(repo)}-${safeName(revision)}`);
  mkdirSync(downloadDir, { recursive: true });

  const hub = new HubClient(endpoint, repo, revision, {
    ...options,
    token: options.token ?? process.env['HF_TOKEN'] ?? '',
  });
  let files: FetchedFile[];
  try {
    files = await downloadCheckpoint(hub, repo, revision, downloadDir);
  } catch (err) {
    // Keep partial files only where a later run can resume them: after network trouble or a cancel.
    const resumable = err instanceof VipError && (err.code === 'unavailable' || err.code === 'cancelled');
    if (!resumable) rmSync(downloadDir, { recursive: true, force: true });
    throw err;
  }

  // The manifest's source names the exact commit when the hub told us, so the package can be traced.
  const source = { kind: 'huggingface-hub' as const, ref: repo, revision: hub.commit ?? revision };
  try {
    if (options.signal?.aborted) throw new VipError('cancelled', `Download of ${repo} cancelled`);
    options.onPhase?.('build');
    const pkg = await importHuggingFaceFolder(downloadDir, options.modelsDir, {
      id,
      source,
      ...(options.onFile ? { onFile: options.onFile } : {}),
      ...(options.onBuild ? { onProgress: options.onBuild } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { package: pkg, repo, revision, commit: hub.commit, files };
  } finally {
    // Imported, intact files (checksums passed) that do not make a package, or a build cancelled halfway: none is
    // worth keeping (a cancelled download, which is, ended above).
    rmSync(downloadDir, { recursive: true, force: true });
  }
}

/** Downloads what a CLIP package needs into `downloadDir`; returns the files fetched. */
async function downloadCheckpoint(
  hub: HubClient,
  repo: string,
  revision: string,
  downloadDir: string,
): Promise<FetchedFile[]> {
  const files: FetchedFile[] = [];
  const get = async (name: string, required: boolean): Promise<boolean> => {
    const got = await hub.download(name, join(downloadDir, name), required);
    if (got) files.push(got);
    return got !== null;
  };

  // Small files first, so a repo that is not a usable CLIP fails before gigabytes are downloaded.
  hub.plan(['config.json', 'preprocessor_config.json', 'vocab.json', 'merges.txt', 'model.safetensors']);
  await get('config.json', true);
  parseClipConfig(readJson(join(downloadDir, 'config.json'), `${repo}/config.json`), `${repo}/config.json`);
  await get('preprocessor_config.json', false);
  const hasVocab = (await get('vocab.json', false)) && (await get('merges.txt', false));
  if (!hasVocab) {
    hub.plan(['tokenizer.json']);
    if (!(await get('tokenizer.json', false))) {
      throw badInput(`${repo} has neither vocab.json + merges.txt nor tokenizer.json at revision ${revision}`);
    }
  }
  if (!(await get('model.safetensors', false))) {
    hub.plan(['model.safetensors.index.json']);
    if (!(await get('model.safetensors.index.json', false))) {
      throw badInput(
        `${repo} has no model.safetensors at revision ${revision}; pytorch_model.bin checkpoints are not supported (convert them to safetensors first)`,
      );
    }
    const shards = shardNames(join(downloadDir, 'model.safetensors.index.json'), repo);
    hub.plan(shards);
    for (const shard of shards) await get(shard, true);
  }
  return files;
}

/** `owner/name` → `name`, lowercased, reduced to the characters a package id allows. */
export function defaultIdFor(repo: string): string {
  const name = repo.split('/').pop() ?? repo;
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '') || 'model'
  );
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}

function readJson(path: string, label: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw badInput(`${label} is not valid JSON (${(err as Error).message})`);
  }
}

function shardNames(indexPath: string, repo: string): string[] {
  const label = `${repo}/model.safetensors.index.json`;
  const index = readJson(indexPath, label);
  const map =
    typeof index === 'object' && index !== null ? (index as Record<string, unknown>)['weight_map'] : undefined;
  if (typeof map !== 'object' || map === null) throw badInput(`${label} has no "weight_map" object`);
  const names = [...new Set(Object.values(map))];
  for (const n of names) {
    if (typeof n !== 'string' || !/^[\w.-]+\.safetensors$/.test(n) || n.includes('..')) {
      throw badInput(`${label}: shard name ${JSON.stringify(n)} is not a plain .safetensors file name`);
    }
  }
  return names as string[];
}

// ---------------------------------------------------------------- HTTP

interface HubHeaders {
  /** sha256 of an LFS file, from X-Linked-Etag (or ETag when it is a sha256). */
  linkedEtag: string | null;
  etag: string | null;
  linkedSize: number | null;
  commit: string | null;
}

/** A failure worth another attempt (network, timeout, 5xx, 429, a body cut short). */
class TransientError extends Error {}

class HubClient {
  commit: string | null = null;
  private readonly planned: string[] = [];
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly stallTimeoutMs: number;

  constructor(
    private readonly endpoint: string,
    private readonly repo: string,
    private readonly revision: string,
    private readonly options: FetchOptions,
  ) {
    this.attempts = Math.max(1, options.attempts ?? 5);
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 60_000;
  }

  plan(names: string[]): void {
    for (const n of names) if (!this.planned.includes(n)) this.planned.push(n);
  }

  private url(file: string): string {
    const repoPath = this.repo.split('/').map(encodeURIComponent).join('/');
    return `${this.endpoint}/${repoPath}/resolve/${encodeURIComponent(this.revision)}/${encodeURIComponent(file)}`;
  }

  /** Downloads one file with retries. Null when the file does not exist and is optional. */
  async download(name: string, dest: string, required: boolean): Promise<FetchedFile | null> {
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      this.throwIfAborted();
      try {
        return await this.downloadOnce(name, dest, required);
      } catch (err) {
        if (!(err instanceof TransientError)) throw err;
        lastError = err;
        if (attempt < this.attempts) await this.sleep(Math.min(15_000, this.retryDelayMs * 2 ** (attempt - 1)));
      }
    }
    throw new VipError(
      'unavailable',
      `Downloading ${name} from ${this.endpoint} failed after ${this.attempts} attempts: ${lastError?.message ?? 'unknown error'}`,
    );
  }

  private async downloadOnce(name: string, dest: string, required: boolean): Promise<FetchedFile | null> {
    const part = dest + '.part';
    let have = existsSync(part) ? statSync(part).size : 0;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    this.options.signal?.addEventListener('abort', onAbort);
    let stall: NodeJS.Timeout | undefined;
    const armStall = () => {
      clearTimeout(stall);
      stall = setTimeout(() => controller.abort(), this.stallTimeoutMs);
    };
    try {
      armStall();
      const { response, meta } = await this.request(
        this.url(name),
        have > 0 ? `bytes=${have}-` : null,
        controller.signal,
      );
      if (meta.commit) this.commit ??= meta.commit;
      const status = response.status;
      if (status === 416) {
        // The part file no longer matches the remote file: start over.
        await response.body?.cancel();
        rmSync(part, { force: true });
        throw new TransientError(`${name}: range not satisfiable, restarting`);
      }
      if (status === 404 || status === 401 || status === 403) {
        await response.body?.cancel();
        const missing = this.describeMissing(name, response);
        if (missing.kind === 'entry' && !required) return null;
        throw badInput(missing.message);
      }
      if (status === 429 || status >= 500) {
        await response.body?.cancel();
        throw new TransientError(`HTTP ${status} for ${name}`);
      }
      if (status !== 200 && status !== 206) {
        await response.body?.cancel();
        throw badInput(`${this.endpoint} answered HTTP ${status} for ${this.repo}/${name}`);
      }
      if (status === 206 && !rangeStartsAt(response.headers.get('content-range'), have)) {
        await response.body?.cancel();
        rmSync(part, { force: true });
        throw new TransientError(`${name}: the server resumed at the wrong offset, restarting`);
      }
      if (status === 200) have = 0;
      const total = totalSize(response, have, meta);
      const file = await open(part, have > 0 ? 'a' : 'w');
      let bytes = have;
      try {
        const index = this.planned.indexOf(name) + 1;
        this.progress({ file: name, bytes, totalBytes: total, fileIndex: index, fileCount: this.planned.length });
        if (!response.body) throw new TransientError(`${name}: empty response`);
        for await (const chunk of response.body) {
          armStall();
          await file.write(chunk);
          bytes += chunk.byteLength;
          this.progress({ file: name, bytes, totalBytes: total, fileIndex: index, fileCount: this.planned.length });
        }
      } finally {
        await file.close();
      }
      if (total !== null && bytes !== total)
        throw new TransientError(`${name}: connection closed at ${bytes} of ${total} bytes`);
      renameSync(part, dest);
      this.options.onPhase?.('verify', name);
      const sha256 = await sha256File(dest);
      const expected = meta.linkedEtag;
      if (expected !== null && expected !== sha256) {
        rmSync(dest, { force: true });
        throw badInput(
          `Checksum mismatch for ${this.repo}/${name}: the hub says sha256 ${expected}, the download has ${sha256}`,
        );
      }
      return { name, size: bytes, sha256, verified: expected !== null, etag: meta.etag };
    } catch (err) {
      if (this.options.signal?.aborted) throw new VipError('cancelled', `Download of ${this.repo} cancelled`);
      if (err instanceof VipError || err instanceof TransientError) throw err;
      // A full disk does not get better by retrying; the partial file stays for a resume once space is freed.
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC')
        throw new VipError('unavailable', `No space left on the disk while downloading ${name}`, String(err));
      if (controller.signal.aborted) throw new TransientError(`${name}: no data for ${this.stallTimeoutMs} ms`);
      throw new TransientError(`${name}: ${networkReason(err)}`);
    } finally {
      clearTimeout(stall);
      this.options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** GET following redirects by hand: the hub's first answer carries the LFS checksum, the CDN's does not. */
  private async request(
    url: string,
    range: string | null,
    signal: AbortSignal,
  ): Promise<{ response: Response; meta: HubHeaders }> {
    const meta: HubHeaders = { linkedEtag: null, etag: null, linkedSize: null, commit: null };
    const origin = new URL(url).origin;
    let current = url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = { 'user-agent': 'vip-workstation', 'accept-encoding': 'identity' };
      if (range) headers['range'] = range;
      // The token is for the hub only, never for the CDN a download is redirected to.
      if (this.options.token && new URL(current).origin === origin)
        headers['authorization'] = `Bearer ${this.options.token}`;
      const response = await fetch(current, { headers, redirect: 'manual', signal });
      const h = response.headers;
      meta.linkedEtag ??= sha256Of(h.get('x-linked-etag'));
      meta.commit ??= h.get('x-repo-commit');
      const linkedSize = Number(h.get('x-linked-size') ?? NaN);
      if (meta.linkedSize === null && Number.isSafeInteger(linkedSize)) meta.linkedSize = linkedSize;
      const location = h.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        current = new URL(location, current).toString();
        continue;
      }
      meta.etag = h.get('etag');
      // Mirrors that serve LFS files directly put the sha256 in the plain ETag.
      meta.linkedEtag ??= sha256Of(meta.etag);
      return { response, meta };
    }
    throw badInput(`Too many redirects fetching ${url}`);
  }

  private describeMissing(name: string, response: Response): { kind: 'entry' | 'other'; message: string } {
    const code = response.headers.get('x-error-code');
    const where = `${this.repo} at revision ${this.revision}`;
    if (code === 'RepoNotFound') {
      return {
        kind: 'other',
        message: `Repository ${this.repo} not found on ${this.endpoint} (private or gated? set HF_TOKEN)`,
      };
    }
    if (code === 'RevisionNotFound')
      return { kind: 'other', message: `Revision ${this.revision} not found in ${this.repo}` };
    if (code === 'GatedRepo' || response.status === 401 || response.status === 403) {
      const hint = this.options.token ? 'the token has no access' : 'set HF_TOKEN';
      return { kind: 'other', message: `Access to ${this.repo}/${name} denied (HTTP ${response.status}; ${hint})` };
    }
    return { kind: 'entry', message: `${where} has no file ${name} (HTTP 404)` };
  }

  private progress(p: FetchProgress): void {
    this.options.onProgress?.(p);
  }

  private throwIfAborted(): void {
    if (this.options.signal?.aborted) throw new VipError('cancelled', `Download of ${this.repo} cancelled`);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const signal = this.options.signal;
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(new VipError('cancelled', `Download of ${this.repo} cancelled`));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function sha256Of(etag: string | null): string | null {
  if (!etag) return null;
  const bare = etag.replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();
  return SHA256_RE.test(bare) ? bare : null;
}

function rangeStartsAt(contentRange: string | null, start: number): boolean {
  const m = /^bytes (\d+)-/.exec(contentRange ?? '');
  return m !== null && Number(m[1]) === start;
}

/** The complete file's size: Content-Range total, else Content-Length (+ resumed bytes), else X-Linked-Size. */
function totalSize(response: Response, have: number, meta: HubHeaders): number | null {
  const range = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
  if (response.status === 206 && range) return Number(range[1]);
  const length = response.headers.get('content-length');
  if (length !== null && /^\d+$/.test(length)) return have + Number(length);
  return meta.linkedSize;
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
