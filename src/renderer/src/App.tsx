/** The window: header with navigation, the demo-model warning, the current screen (each behind its own error boundary), problem reports. */
import { useEffect, useRef, type ReactNode } from 'react';
import { useVip } from './api/vip-context';
import { AppHeader, ConnectionBanner } from './components/AppHeader';
import { ErrorBoundary } from './components/ErrorBoundary';
import { ModelBanner } from './components/ModelBanner';
import { ProblemReports } from './components/ProblemReports';
import { routeHref, useRoute, type Route } from './lib/router';
import { SymptomsScreen } from './screens/symptoms/SymptomsScreen';
import { TrainingScreen } from './screens/training/TrainingScreen';
import { SettingsScreen } from './screens/settings/SettingsScreen';
import { ModelsScreen } from './screens/models/ModelsScreen';
import { CaseViewer } from './screens/viewer/CaseViewer';
import { WorklistScreen } from './screens/worklist/WorklistScreen';
import { AuditScreen } from './screens/audit/AuditScreen';
import { PacsScreen } from './screens/pacs/PacsScreen';

function Screen(props: { route: Route }): ReactNode {
  const { route } = props;
  switch (route.name) {
    case 'worklist':
      return <WorklistScreen />;
    case 'pacs':
      return <PacsScreen />;
    case 'case':
      return <CaseViewer caseId={route.id} />;
    case 'training':
      return <TrainingScreen />;
    case 'models':
      return <ModelsScreen />;
    case 'symptoms':
      return <SymptomsScreen />;
    case 'audit':
      return <AuditScreen />;
    case 'settings':
      return <SettingsScreen />;
    case 'not-found':
      return (
        <section className="screen" aria-labelledby="nf-title">
          <h1 id="nf-title">Nothing at this address</h1>
          <p>
            <code>#{route.path}</code> is not a screen of this app.{' '}
            <a href={routeHref({ name: 'worklist' })}>Open the worklist</a>.
          </p>
        </section>
      );
  }
}

function routeKey(route: Route): string {
  return route.name === 'case' ? `case:${route.id}` : route.name;
}

export function App(): ReactNode {
  const api = useVip();
  const route = useRoute();
  const key = routeKey(route);
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  // Move focus to the new screen on navigation so keyboard and screen reader users start at its top.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    if (!mainRef.current?.contains(document.activeElement)) mainRef.current?.focus({ preventScroll: true });
  }, [key]);

  return (
    <div className="app">
      <AppHeader route={route} transport={api.transport} />
      <ConnectionBanner />
      <ModelBanner />
      <main id="main" className="app-main" ref={mainRef} tabIndex={-1}>
        <ErrorBoundary key={key}>
          <Screen route={route} />
        </ErrorBoundary>
      </main>
      <ProblemReports />
    </div>
  );
}
