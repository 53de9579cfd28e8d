/**
 * Electron IPC transport of the contract. One channel for calls, one for events.
 * Every call checks that it comes from our own window's top frame before anything is parsed.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { toErrorInfo, VipError } from '@shared/errors';
import type { ResponseEnvelope } from '@shared/protocol';
import type { Engine } from './engine/engine';

export const CALL_CHANNEL = 'vip:call';
export const EVENT_CHANNEL = 'vip:event';

export function registerIpc(engine: Engine, window: BrowserWindow, isTrustedUrl: (url: string) => boolean): () => void {
  const trustedSender = (event: IpcMainInvokeEvent): boolean => {
    const frame = event.senderFrame;
    return (
      event.sender.id === window.webContents.id &&
      frame !== null &&
      frame === event.sender.mainFrame &&
      isTrustedUrl(frame.url)
    );
  };

  ipcMain.handle(CALL_CHANNEL, async (event, method: unknown, params: unknown): Promise<ResponseEnvelope> => {
    // Responses carry errors as data: Electron would reduce a thrown error to its message.
    try {
      if (!trustedSender(event)) throw new VipError('validation', 'IPC call from an untrusted frame was refused');
      return { id: 0, ok: true, result: await engine.invoke(method, params) };
    } catch (err) {
      return { id: 0, ok: false, error: toErrorInfo(err) };
    }
  });

  const target: WebContents = window.webContents;
  const unsubscribe = engine.events.onAny((name, payload) => {
    if (!target.isDestroyed()) target.send(EVENT_CHANNEL, name, payload);
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler(CALL_CHANNEL);
  };
}
