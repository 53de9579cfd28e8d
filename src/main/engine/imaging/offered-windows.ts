/** The windows a stored image offers, read back from the DICOM attributes kept in the store (JSON, so checked). */
import type { WindowPreset } from '@shared/contract';
import { windowPresets } from './window-presets';

const numbers = (v: unknown): number[] =>
  Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)) : [];

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : '')) : []);

export function offeredWindows(dicom: Record<string, unknown> | null): WindowPreset[] {
  if (!dicom) return [];
  const fn = dicom['voiLutFunction'];
  return windowPresets({
    windowCenter: numbers(dicom['windowCenter']),
    windowWidth: numbers(dicom['windowWidth']),
    windowExplanation: strings(dicom['windowExplanation']),
    voiLutFunction: typeof fn === 'string' ? fn : null,
  });
}
