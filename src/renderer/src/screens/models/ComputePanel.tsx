/**
 * What this workstation computes on (`engine.status`): onnxruntime's execution providers (in use and available), the
 * tfjs backend, the cores, and the text engine training picks. Read-only; the engine answers without starting anything.
 */
import { useEffect, useState, type ReactNode } from 'react';
import type { ComputeStatus } from '@shared/contract';
import { useVip } from '../../api/vip-context';
import { ErrorNotice } from '../../components/ErrorNotice';

const PROVIDER_NAMES: Record<string, string> = {
  cpu: 'CPU',
  cuda: 'NVIDIA CUDA',
  dml: 'DirectML',
  coreml: 'Core ML',
};
const providerName = (p: string): string => PROVIDER_NAMES[p] ?? p;

const TFJS_NAMES: Record<string, string> = {
  '@tensorflow/tfjs-node-gpu': 'TensorFlow native (GPU)',
  '@tensorflow/tfjs-node': 'TensorFlow native (CPU)',
  '@tensorflow/tfjs-backend-wasm': 'WebAssembly',
  '@tensorflow/tfjs-backend-cpu': 'plain JavaScript',
};
const tfjsName = (p: string): string => TFJS_NAMES[p] ?? p;

function onnxLine(s: ComputeStatus): string {
  if (s.onnx.inUse.length > 0) return `${s.onnx.inUse.map(providerName).join(', ')} (in use)`;
  const first = s.onnx.forced ?? s.onnx.available[0] ?? 'cpu';
  return `${providerName(first)} (picked when a model first runs)`;
}

function tfjsLine(s: ComputeStatus): string {
  if (s.tfjs.initialised) {
    const name = tfjsName(s.tfjs.provider ?? s.tfjs.initialised);
    return `${name}${s.tfjs.simd ? ' with SIMD' : ''} (in use)`;
  }
  const first = s.tfjs.wouldTry[0];
  return first ? `${tfjsName(first)} (tried first when training starts)` : 'none available';
}

function trainingLine(s: ComputeStatus): string {
  const t = s.trainingText;
  if (!t.lastPicked) return 'auto: times onnxruntime and tfjs on the first step, keeps the faster';
  return `auto; last run used ${t.lastPicked}${t.lastVersionId ? ` (version ${t.lastVersionId})` : ''}`;
}

export function ComputePanel(): ReactNode {
  const api = useVip();
  const [status, setStatus] = useState<ComputeStatus | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    api.call('engine.status', {}).then(
      (r) => {
        if (!live) return;
        setError(null);
        setStatus(r);
      },
      (err: unknown) => {
        if (live) setError(err);
      },
    );
    return () => {
      live = false;
    };
  }, [api, attempt]);
  const load = (): void => setAttempt((n) => n + 1);

  return (
    <section className="system-card" aria-labelledby="compute-title" data-testid="compute-panel">
      <h2 id="compute-title">Compute</h2>
      {error ? <ErrorNotice title="Could not read the compute backends" error={error} onRetry={load} /> : null}
      {status === null ? (
        error ? null : (
          <p className="muted">Loading…</p>
        )
      ) : (
        <dl className="facts system-card__facts">
          <dt>Image and text towers</dt>
          <dd>
            {onnxLine(status)}
            <span className="muted system-card__sub">
              {status.onnx.runtime}; available: {status.onnx.available.map(providerName).join(', ')}
              {status.onnx.forced ? `; forced by VIP_ONNX_PROVIDER=${status.onnx.forced}` : ''}
            </span>
          </dd>
          <dt>Training maths (tfjs)</dt>
          <dd>
            {tfjsLine(status)}
            {status.tfjs.forced ? (
              <span className="muted system-card__sub">forced by VIP_TFJS_BACKEND={status.tfjs.forced}</span>
            ) : null}
          </dd>
          <dt>Training text engine</dt>
          <dd title={status.trainingText.lastReason ?? undefined}>{trainingLine(status)}</dd>
          <dt>Processor</dt>
          <dd>
            {status.cpuCount} {status.cpuCount === 1 ? 'core' : 'cores'}
            <span className="muted system-card__sub">
              {status.cpuModel}, {status.platform} {status.arch}
            </span>
          </dd>
        </dl>
      )}
    </section>
  );
}
