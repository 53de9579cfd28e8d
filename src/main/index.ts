/**
 * Electron bootstrap: one hardened window, the engine in this process, IPC as its transport.
 * Everything else (the engine, the contract) is shared with the CLI and `vip serve`.
 */
import { app, BrowserWindow, session, shell } from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Engine } from './engine/engine';
import { registerIpc } from './ipc';
import { ElectronSecretStore } from './secret-store-electron';
import { installSecretStore } from './engine/symptoms/secret-store';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

const rendererIndex = join(import.meta.dirname, '../renderer/index.html');
const rendererUrl = pathToFileURL(rendererIndex).href;
const devServerUrl = process.env['ELECTRON_RENDERER_URL'];

function isTrustedUrl(url: string): boolean {
  if (devServerUrl && url.startsWith(devServerUrl)) return true;
  return url.split('#')[0]?.split('?')[0] === rendererUrl;
}

/** Electron runs its own ABI build of better-sqlite3 (`npm run electron:rebuild-native`); the Node build serves CLI and tests. */
function electronSqliteBinding(): string | undefined {
  const candidate = join(app.getAppPath(), 'resources/native/electron/better_sqlite3.node');
  return existsSync(candidate) ? candidate : undefined;
}

function createWindow(engine: Engine): void {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    backgroundColor: '#0b0d10',
    title: 'ViP Workstation',
    show: false,
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  const disposeIpc = registerIpc(engine, window, isTrustedUrl);
  window.on('closed', disposeIpc);
  window.once('ready-to-show', () => window.show());

  // No navigation away from the app and no new windows; external links go to the system browser.
  window.webContents.on('will-navigate', (event, url) => {
    if (!isTrustedUrl(url)) event.preventDefault();
  });
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-attach-webview', (event) => event.preventDefault());

  if (devServerUrl) void window.loadURL(devServerUrl);
  else void window.loadFile(rendererIndex);
}

function hardenSession(): void {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  // The workstation needs no camera, microphone, notifications or geolocation.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
}

app.enableSandbox();
if (!app.requestSingleInstanceLock()) app.quit();

void app.whenReady().then(async () => {
  hardenSession();
  // The LLM API key stays in this process, encrypted at rest by the OS (never in the database or a log).
  installSecretStore(new ElectronSecretStore(app.getPath('userData')));
  const engine = Engine.open({
    dataDir: process.env['VIP_DATA_DIR'] ?? app.getPath('userData'),
    transport: 'electron',
    sqliteNativeBinding: electronSqliteBinding(),
  });
  await engine.ensureModels();
  createWindow(engine);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow(engine);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => engine.close());
});
