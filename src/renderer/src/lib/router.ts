/** A small hash router: #/worklist, #/pacs (the worklist's PACS tab), #/case/12, #/training, #/models, #/symptoms, #/audit, #/settings. */
import { useSyncExternalStore } from 'react';

export type Route =
  | { name: 'worklist' }
  | { name: 'pacs' }
  | { name: 'case'; id: number }
  | { name: 'training' }
  | { name: 'models' }
  | { name: 'symptoms' }
  | { name: 'audit' }
  | { name: 'settings' }
  | { name: 'not-found'; path: string };

const SIMPLE = ['worklist', 'pacs', 'training', 'models', 'symptoms', 'audit', 'settings'] as const;

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/^\/+/, '').replace(/\/+$/, '');
  if (path === '') return { name: 'worklist' };
  for (const name of SIMPLE) if (path === name) return { name };
  const caseMatch = /^case\/(\d{1,15})$/.exec(path);
  if (caseMatch?.[1]) {
    const id = Number(caseMatch[1]);
    if (Number.isSafeInteger(id) && id > 0) return { name: 'case', id };
  }
  return { name: 'not-found', path };
}

export function routeHref(route: Route): string {
  switch (route.name) {
    case 'case':
      return `#/case/${route.id}`;
    case 'not-found':
      return '#/worklist';
    default:
      return `#/${route.name}`;
  }
}

export function navigate(route: Route): void {
  window.location.hash = routeHref(route);
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

function currentHash(): string {
  return window.location.hash;
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, currentHash);
  return parseHash(hash);
}
