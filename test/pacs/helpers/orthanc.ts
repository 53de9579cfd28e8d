/**
 * A private Orthanc for the PACS tests: started on 127.0.0.1 with a free HTTP port, the DICOM port off, storage and
 * index in a temp folder, HTTP basic auth with a test user, the DICOMweb plugin at /dicom-web/. Studies are uploaded
 * through Orthanc's REST API (/instances); `stop` kills it, waits for the exit and deletes the folder.
 *
 * Without /usr/sbin/Orthanc (Debian packages orthanc + orthanc-dicomweb) the suites skip with a console message,
 * except under CI, where they fail: CI installs both (.ci/run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';

export const ORTHANC_BINARY = '/usr/sbin/Orthanc';
export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';
export const ORTHANC_USER = 'vip-test';
export const ORTHANC_PASSWORD = 'orthanc-test-password';

export function orthancMissing(): string | null {
  if (!existsSync(ORTHANC_BINARY)) return `${ORTHANC_BINARY} is missing (apt-get install orthanc orthanc-dicomweb)`;
  if (!existsSync(DICOMWEB_PLUGIN)) return `${DICOMWEB_PLUGIN} is missing (apt-get install orthanc-dicomweb)`;
  return null;
}

/** describe() when Orthanc is installed; else a failing test under CI, or a visible skip elsewhere. */
export function describeWithOrthanc(name: string, body: () => void): void {
  const missing = orthancMissing();
  if (!missing) {
    describe(name, body);
  } else if (process.env['CI']) {
    describe(name, () => {
      it('needs Orthanc', () => {
        throw new Error(`Orthanc is required under CI: ${missing}`);
      });
    });
  } else {
    console.warn(`[vip tests] SKIPPED "${name}": ${missing}`);
    describe.skip(name, body);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Orthanc {
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly base: string;
  /** The DICOMweb root without a trailing slash. */
  readonly dicomWeb: string;
  /** Orthanc's REST API with the test user's credentials. */
  rest(method: string, path: string, body?: Uint8Array | string): Promise<{ status: number; json: unknown }>;
  upload(files: readonly Uint8Array[]): Promise<void>;
  deleteStudy(studyInstanceUid: string): Promise<void>;
  stop(): Promise<void>;
}

const authHeader = `Basic ${Buffer.from(`${ORTHANC_USER}:${ORTHANC_PASSWORD}`).toString('base64')}`;

export async function startOrthanc(): Promise<Orthanc> {
  const missing = orthancMissing();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), 'vip-orthanc-'));
  const port = await freePort();
  const config = {
    Name: 'VIP-TEST',
    StorageDirectory: join(dir, 'storage'),
    IndexDirectory: join(dir, 'index'),
    HttpPort: port,
    DicomServerEnabled: false,
    DicomPort: await freePort(),
    RemoteAccessAllowed: false,
    AuthenticationEnabled: true,
    RegisteredUsers: { [ORTHANC_USER]: ORTHANC_PASSWORD },
    Plugins: [DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false },
    SaveJobs: false,
    StorageCompression: false,
    HttpsVerifyPeers: false,
  };
  const configPath = join(dir, 'orthanc.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const child = spawn(ORTHANC_BINARY, [configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const base = `http://127.0.0.1:${port}`;

  const rest: Orthanc['rest'] = async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: authHeader },
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, json };
  };

  try {
    await waitUntilUp(child, rest, () => log);
  } catch (err) {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    port,
    base,
    dicomWeb: `${base}/dicom-web`,
    rest,
    async upload(files) {
      for (const f of files) {
        const r = await rest('POST', '/instances', f);
        if (r.status !== 200)
          throw new Error(`Orthanc refused an upload (HTTP ${r.status}): ${JSON.stringify(r.json)}`);
      }
    },
    async deleteStudy(uid) {
      const found = await rest('POST', '/tools/lookup', uid);
      const hits = Array.isArray(found.json) ? (found.json as { Type: string; ID: string }[]) : [];
      const study = hits.find((h) => h.Type === 'Study');
      if (!study) throw new Error(`study ${uid} is not in Orthanc`);
      const r = await rest('DELETE', `/studies/${study.ID}`);
      if (r.status !== 200) throw new Error(`Orthanc did not delete study ${uid} (HTTP ${r.status})`);
    },
    async stop() {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitUntilUp(child: ChildProcess, rest: Orthanc['rest'], log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Orthanc exited with ${child.exitCode}: ${log()}`);
    try {
      const r = await rest('GET', '/system');
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Orthanc did not answer /system within 30 s: ${log()}`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
