/**
 * The engine: a plain Node library (never imports electron). Every transport (Electron IPC, `vip serve`,
 * the CLI) goes through `invoke`, which validates the request against the contract before any handler runs.
 */
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { MethodName, Params, Result } from '@shared/contract';
import { badInput } from '@shared/errors';
import { parseRequest, parseResult } from '@shared/protocol';
import type { EngineContext, Transport } from './context';
import { EngineEvents } from './events';
import { handlerFor, type Handler } from './handlers';
import { dataPaths, type DataPaths } from './paths';
import { openStore, type Store } from './store/store';

export interface EngineOptions {
  dataDir: string;
  transport: Transport;
  /** Where Electron keeps its own ABI build of better-sqlite3. */
  sqliteNativeBinding?: string;
}

export class Engine {
  readonly events = new EngineEvents();
  readonly paths: DataPaths;
  readonly store: Store;
  readonly transport: Transport;
  private readonly ctx: EngineContext;
  private closed = false;

  private constructor(paths: DataPaths, store: Store, transport: Transport) {
    this.paths = paths;
    this.store = store;
    this.transport = transport;
    this.ctx = {
      paths,
      store,
      events: this.events,
      transport,
      actor: () => this.actor(),
    };
  }

  /** Open (creating if needed) the data folder: migrate the database, recover from an earlier crash. */
  static open(options: EngineOptions): Engine {
    const paths = dataPaths(options.dataDir);
    ensureDataFolders(paths);
    const store = openStore(paths, options.sqliteNativeBinding);
    return new Engine(paths, store, options.transport);
  }

  /** Untrusted entry point for transports: validates method, params and the result. */
  async invoke(method: unknown, params: unknown): Promise<unknown> {
    if (this.closed) throw new Error('Engine is closed');
    const request = parseRequest(method, params);
    const handler = (await handlerFor(request.method)) as Handler<MethodName>;
    const result = await handler(request.params as never, this.ctx);
    return parseResult(request.method, result);
  }

  /** Typed entry point for in-process callers (CLI commands, tests). Same validation as `invoke`. */
  async call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    return (await this.invoke(method, params)) as Result<M>;
  }

  /** Interactive hosts (desktop app, browser host) start with a usable CLIP: the demo when nothing is imported. */
  async ensureModels(): Promise<void> {
    const { ensureDemoPackage } = await import('./model/registry');
    await ensureDemoPackage(this.paths.models);
  }

  actor(): string {
    const reviewer = this.store.settings.get().reviewerName.trim();
    if (reviewer) return reviewer;
    try {
      return userInfo().username;
    } catch {
      return 'unknown';
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.store.close();
  }
}

function ensureDataFolders(paths: DataPaths): void {
  for (const dir of [
    paths.root,
    paths.images,
    paths.models,
    paths.versions,
    paths.features,
    paths.tmp,
    paths.benchmarks,
  ]) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw badInput(`Cannot create the data folder ${dir} (${code})`);
    }
  }
}
