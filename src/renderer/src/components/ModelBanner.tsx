/**
 * On every screen, while the default CLIP package has random weights (or there is no usable default), a warning that
 * links to the Models screen. Nothing shows until the list has loaded: no warning is better than a wrong one.
 */
import type { ReactNode } from 'react';
import { useModels } from '../api/models-state';
import { defaultState } from '../lib/model-packages';
import { routeHref } from '../lib/router';

export function ModelBanner(): ReactNode {
  const { list } = useModels().view;
  if (!list) return null;
  const state = defaultState(list);
  if (state.kind === 'real') return null;
  const models = <a href={routeHref({ name: 'models' })}>Models screen</a>;
  return (
    <div className="model-banner" role="status" data-testid="model-banner">
      <span className="model-banner__icon" aria-hidden="true">
        ⚠
      </span>
      {state.kind === 'random' ? (
        <span>
          <strong>Demo model active:</strong> random weights, not for clinical use. Import a real CLIP model on the{' '}
          {models}.
        </span>
      ) : (
        <span>
          <strong>No usable CLIP model:</strong> the default package &ldquo;{state.id}&rdquo; is{' '}
          {state.damaged ? 'damaged' : 'not installed'}. Create the demo or import a real CLIP model on the {models}.
        </span>
      )}
    </div>
  );
}
