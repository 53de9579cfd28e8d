/** Renderer entry: pick up `window.vip` (Electron preload) or create it over the `vip serve` WebSocket, then render. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectionOf } from './api/connection';
import { ModelsProvider } from './api/models-state';
import { VipProvider } from './api/vip-context';
import { installBrowserVip } from './api/browser-vip';
import { App } from './App';
import './styles/base.css';
import './styles/layout.css';
import './styles/worklist.css';
import './styles/viewer.css';
import './styles/models.css';

const client = installBrowserVip();
const api = window.vip;
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
if (!api) throw new Error('window.vip is missing');

createRoot(root).render(
  <StrictMode>
    <VipProvider api={api} connection={connectionOf(client)}>
      <ModelsProvider>
        <App />
      </ModelsProvider>
    </VipProvider>
  </StrictMode>,
);
