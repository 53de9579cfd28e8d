/**
 * `engine.status`: what this engine computes on. It reports and never starts: onnxruntime's providers come from the
 * build's list and the sessions already open, tfjs's backend from this process's initialisation (or the packages it
 * would try), and the training text engine from the newest trained version's record.
 */
import { cpus, arch, platform } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { ComputeStatus } from '@shared/contract';
import type { EngineContext } from './context';
import { candidateProviders, providersInUse } from './model/onnx-session';
import { tfjsBackendStatus } from './model/tfjs-backend';
import { listModelVersions } from './store/model-version-repo';
import { textBackendChoices } from './training/text-backprop';

function lastTextEngine(ctx: EngineContext): ComputeStatus['trainingText'] {
  const base = { choice: 'auto', choices: [...textBackendChoices] };
  const versions = listModelVersions(ctx.store.db).sort((a, b) => b.id - a.id);
  for (const v of versions) {
    const metrics = v.metrics as { textBackend?: { name?: unknown; reason?: unknown } } | null;
    const tb = metrics?.textBackend;
    if (tb && typeof tb.name === 'string') {
      return {
        ...base,
        lastPicked: tb.name,
        lastReason: typeof tb.reason === 'string' ? tb.reason : null,
        lastVersionId: v.id,
      };
    }
  }
  return { ...base, lastPicked: null, lastReason: null, lastVersionId: null };
}

export function computeStatus(ctx: EngineContext): ComputeStatus {
  const cores = cpus();
  const tfjs = tfjsBackendStatus();
  return {
    cpuCount: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    platform: platform(),
    arch: arch(),
    onnx: {
      runtime: `onnxruntime-node ${ort.env.versions.node ?? 'unknown'}`,
      available: candidateProviders(),
      inUse: providersInUse(),
      forced: process.env['VIP_ONNX_PROVIDER']?.trim() || null,
    },
    tfjs: {
      initialised: tfjs.initialised?.backend ?? null,
      provider: tfjs.initialised?.provider ?? null,
      simd: tfjs.initialised?.simd ?? null,
      wouldTry: tfjs.wouldTry,
      forced: tfjs.forced,
    },
    trainingText: lastTextEngine(ctx),
  };
}
