/** What every handler gets: the data folder, the store, the event bus and who is acting. */
import type { AppInfo } from '@shared/contract';
import type { DataPaths } from './paths';
import type { EngineEvents } from './events';
import type { Store } from './store/store';

export type Transport = AppInfo['transport'];

export interface EngineContext {
  readonly paths: DataPaths;
  readonly store: Store;
  readonly events: EngineEvents;
  readonly transport: Transport;
  /** The person acting, for the audit log: the reviewer name from settings, else the OS user. */
  actor(): string;
}
