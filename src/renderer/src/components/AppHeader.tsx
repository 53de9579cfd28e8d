/** Brand, main navigation, and where the app is talking to: transport, data folder and connection state. */
import { useEffect, useState, type ReactNode } from 'react';
import type { AppInfo } from '@shared/contract';
import { useConnection, useConnectionSource, useOnReconnect, useVip } from '../api/vip-context';
import type { ConnectionState } from '../api/ws-client';
import { toDisplayError } from '../lib/errors';
import { routeHref, type Route } from '../lib/router';
import { useNow } from '../lib/use-now';

const NAV: Array<{ route: Route; label: string }> = [
  { route: { name: 'worklist' }, label: 'Worklist' },
  { route: { name: 'training' }, label: 'Training' },
  { route: { name: 'models' }, label: 'Models' },
  { route: { name: 'symptoms' }, label: 'Symptoms' },
  { route: { name: 'audit' }, label: 'Audit' },
  { route: { name: 'settings' }, label: 'Settings' },
];

function isCurrent(item: Route, current: Route): boolean {
  // A case and the PACS tab belong to the worklist section.
  return (
    item.name === current.name || (item.name === 'worklist' && (current.name === 'case' || current.name === 'pacs'))
  );
}

function connectionLabel(state: ConnectionState, now: number): string {
  switch (state.kind) {
    case 'open':
      return 'Connected';
    case 'connecting':
      return state.attempt > 1 ? `Reconnecting (attempt ${state.attempt})` : 'Connecting';
    case 'waiting':
      return `Disconnected, retrying in ${Math.max(0, Math.ceil((state.retryAt - now) / 1000))} s`;
    case 'no-token':
      return 'No access token';
    case 'closed':
      return 'Closed';
  }
}

function ConnectionBadge(): ReactNode {
  const state = useConnection();
  const now = useNow(state.kind === 'waiting');
  return (
    <span className={`conn conn--${state.kind}`} role="status" aria-live="polite">
      <span className="conn__dot" aria-hidden="true" />
      <span>{connectionLabel(state, now)}</span>
    </span>
  );
}

/** Says why the window is cut off from the engine and what to do; absent while connected. */
export function ConnectionBanner(): ReactNode {
  const state = useConnection();
  const source = useConnectionSource();
  if (state.kind === 'open' || state.kind === 'connecting') return null;
  const text =
    state.kind === 'waiting'
      ? `Not connected to the ViP server: ${state.reason}. Calls fail until it is back; retrying automatically.`
      : state.kind === 'no-token'
        ? 'This page has no access token. Open the address `vip serve` printed (it ends in ?token=…).'
        : 'The connection to the ViP server is closed. Reload the page to connect again.';
  return (
    <div className="conn-banner" role="alert">
      <span>{text}</span>
      {state.kind === 'waiting' ? (
        <button type="button" className="button button--small" onClick={() => source.reconnectNow()}>
          Reconnect now
        </button>
      ) : null}
    </div>
  );
}

function useAppInfo(): { info: AppInfo | null; error: unknown } {
  const api = useVip();
  const [state, setState] = useState<{ info: AppInfo | null; error: unknown }>({ info: null, error: null });
  const [attempt, setAttempt] = useState(0);
  useOnReconnect(() => setAttempt((a) => a + 1));
  useEffect(() => {
    let live = true;
    api.call('app.info', {}).then(
      (info) => live && setState({ info, error: null }),
      (error: unknown) => live && setState((s) => ({ info: s.info, error })),
    );
    return () => {
      live = false;
    };
  }, [api, attempt]);
  return state;
}

export function AppHeader(props: { route: Route; transport: 'electron' | 'http' }): ReactNode {
  const { info, error } = useAppInfo();
  return (
    <header className="app-header">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <div className="app-header__brand">ViP Workstation</div>
      <nav className="app-nav" aria-label="Main">
        <ul>
          {NAV.map((item) => (
            <li key={item.route.name}>
              <a href={routeHref(item.route)} aria-current={isCurrent(item.route, props.route) ? 'page' : undefined}>
                {item.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div className="app-header__status">
        <ConnectionBadge />
        <span className="tag" title="How this window talks to the engine">
          {props.transport === 'electron' ? 'Desktop' : 'Browser (vip serve)'}
        </span>
        <span className="app-header__data" title={info?.dataDir ?? toDisplayError(error).message}>
          <span className="muted">Data</span>
          {/* Right-to-left so a long path is cut at its start; bdi keeps the path itself in order. */}
          <span className="app-header__path">
            <bdi>{info ? info.dataDir : error ? 'unknown' : '…'}</bdi>
          </span>
        </span>
      </div>
    </header>
  );
}
