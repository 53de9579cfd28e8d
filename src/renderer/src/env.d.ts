import type { VipApi } from '@shared/protocol';

declare global {
  interface Window {
    /** Defined by the Electron preload; in a browser the renderer creates it (api/ws-client.ts). */
    vip?: VipApi;
  }
}

export {};
