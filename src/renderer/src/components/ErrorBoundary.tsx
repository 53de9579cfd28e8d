/** Keeps a fault in one screen from blanking the whole window; the header and navigation stay usable. */
import { Component, type ErrorInfo, type ReactNode } from 'react';
import { ErrorNotice } from './ErrorNotice';

interface Props {
  children: ReactNode;
}

interface State {
  error: unknown;
}

export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error('[vip] a screen failed to render', error, info.componentStack);
  }

  override render(): ReactNode {
    if (this.state.error === null) return this.props.children;
    return (
      <section className="screen" aria-labelledby="crash-title">
        <h1 id="crash-title">This screen stopped working</h1>
        <p>Nothing was lost on the server. You can try again, or use the navigation above.</p>
        <ErrorNotice error={this.state.error} onRetry={() => this.setState({ error: null })} />
      </section>
    );
  }
}
