/**
 * The only bridge between the sandboxed renderer and the main process: `window.vip`, implementing VipApi.
 * Errors are rejected as plain { name, code, message, detail } objects, which survive the context bridge.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { EventName, MethodName, Params, Result } from '@shared/contract';
import type { ResponseEnvelope, VipApi } from '@shared/protocol';

const CALL_CHANNEL = 'vip:call';
const EVENT_CHANNEL = 'vip:event';

const api: VipApi = {
  transport: 'electron',
  async call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    const response = (await ipcRenderer.invoke(CALL_CHANNEL, method, params)) as ResponseEnvelope;
    if (response.ok) return response.result as Result<M>;
    throw { name: 'RemoteError', ...response.error };
  },
  on(event: EventName, handler: (payload: never) => void): () => void {
    const listener = (_e: IpcRendererEvent, name: unknown, payload: unknown): void => {
      if (name === event) handler(payload as never);
    };
    ipcRenderer.on(EVENT_CHANNEL, listener);
    return () => ipcRenderer.off(EVENT_CHANNEL, listener);
  },
};

contextBridge.exposeInMainWorld('vip', api);
