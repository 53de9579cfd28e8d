/** The windows a stored image offers, read back from the DICOM attributes kept in the store (JSON, so checked). */
import type { WindowPreset } from '@shared/contract';
import { usableWindow, voiFunction } from './voi';

const numbers = (v: unknown): number[] =>
  Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)) : [];

export function offeredWindows(dicom: Record<string, unknown> | null): WindowPreset[] {
  if (!dicom) return [];
  const centers = numbers(dicom['windowCenter']);
  const widths = numbers(dicom['windowWidth']);
  const names = Array.isArray(dicom['windowExplanation']) ? (dicom['windowExplanation'] as unknown[]) : [];
  const fn = voiFunction(typeof dicom['voiLutFunction'] === 'string' ? dicom['voiLutFunction'] : null);
  const out: WindowPreset[] = [];
  for (let i = 0; i < Math.min(centers.length, widths.length); i++) {
    const w = usableWindow(centers[i]!, widths[i]!, fn);
    const name = names[i];
    if (w) out.push({ center: w.center, width: w.width, explanation: typeof name === 'string' && name ? name : null });
  }
  return out;
}
