/**
 * The viewer's display tools beside zoom: the left-drag mode (pan or window/level), window presets, invert, reset,
 * and the window in use. Window tools are disabled for colour images, which are always shown in true colour.
 */
import type { ReactNode } from 'react';
import type { DisplayWindow } from '@shared/contract';
import type { StageMode } from './ImageStage';
import { formatWindow, type NamedWindow } from './window-presets';

export function DisplayControls(props: {
  mode: StageMode;
  onMode: (mode: StageMode) => void;
  /** False for colour images (and VOI LUT images): nothing to window. */
  windowable: boolean;
  presets: readonly NamedWindow[];
  /** The window on screen (null when none applies). */
  applied: DisplayWindow | null;
  /** The override asked for, null for the file default. */
  chosen: DisplayWindow | null;
  onWindow: (w: DisplayWindow | null) => void;
  invert: boolean;
  onInvert: (invert: boolean) => void;
  onReset: () => void;
}): ReactNode {
  const { windowable, presets, chosen } = props;
  const presetIndex = chosen ? presets.findIndex((p) => p.center === chosen.center && p.width === chosen.width) : -1;
  const presetValue = chosen === null ? 'default' : presetIndex >= 0 ? String(presetIndex) : 'custom';
  return (
    <div className="display-tools">
      <span className="display-tools__sep" aria-hidden="true" />
      <div className="segmented" role="group" aria-label="Left-drag">
        <button
          type="button"
          className="button button--small"
          aria-pressed={props.mode === 'pan'}
          onClick={() => props.onMode('pan')}
          title="Left-drag pans the image"
        >
          Pan
        </button>
        <button
          type="button"
          className="button button--small"
          aria-pressed={props.mode === 'window'}
          disabled={!windowable}
          onClick={() => props.onMode('window')}
          title={
            windowable
              ? 'Left-drag adjusts window (horizontal) and level (vertical); right-drag always does (W)'
              : 'Colour image: shown in true colour, no window'
          }
        >
          W/L
        </button>
      </div>
      <label className="field field--inline display-tools__preset">
        <span className="visually-hidden">Window preset</span>
        <select
          value={presetValue}
          disabled={!windowable}
          onChange={(e) => {
            const v = e.target.value;
            if (v === 'default') props.onWindow(null);
            else if (v !== 'custom') {
              const p = presets[Number(v)];
              if (p) props.onWindow({ center: p.center, width: p.width });
            }
          }}
        >
          <option value="default">File default</option>
          {presets.map((p, i) => (
            <option key={`${p.name}:${i}`} value={String(i)}>
              {p.name} ({formatWindow(p)})
            </option>
          ))}
          {presetValue === 'custom' ? <option value="custom">Custom</option> : null}
        </select>
      </label>
      <button
        type="button"
        className="button button--small"
        aria-pressed={props.invert}
        onClick={() => props.onInvert(!props.invert)}
        title="Invert the grey scale, or show colour as a negative (I)"
      >
        Invert
      </button>
      <button
        type="button"
        className="button button--small"
        onClick={props.onReset}
        title="File window, no invert, fit"
      >
        Reset
      </button>
      <span className="display-tools__readout" data-testid="window-readout" aria-live="polite">
        {windowable ? (props.applied ? formatWindow(props.applied) : '') : 'True colour'}
      </span>
    </div>
  );
}
