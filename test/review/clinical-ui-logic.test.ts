/**
 * The clinical UI's pure logic (no DOM): window/level dragging and presets, the training wizard's requests and step
 * checks, the time estimate from earlier versions, and the scales the evidence bars share.
 */
import { describe, expect, it } from 'vitest';
import type { ImageInfo, ModelVersionInfo, StoredPrediction } from '../../src/shared/contract';
import { evidenceScales, signed } from '../../src/renderer/src/components/evidence/evidence-format';
import { estimateTraining, formatDuration } from '../../src/renderer/src/screens/training/estimate';
import {
  FAST_SETTINGS,
  dataKey,
  initialWizard,
  startParams,
  stepProblems,
  type WizardState,
} from '../../src/renderer/src/screens/training/wizard-logic';
import {
  CT_PRESETS,
  draggedWindow,
  formatWindow,
  presetsFor,
} from '../../src/renderer/src/screens/viewer/window-presets';

function image(dicom: Record<string, unknown> | null, windows: ImageInfo['windows'] = []): ImageInfo {
  return {
    id: 1,
    caseId: 1,
    sha256: 'a'.repeat(64),
    originalName: 'x.dcm',
    mediaType: 'application/dicom',
    width: 10,
    height: 10,
    frameCount: 1,
    sizeBytes: 100,
    importedAt: '2024-01-01T00:00:00Z',
    dicom,
    windows,
  };
}

describe('window/level', () => {
  it('a drag right widens, left narrows; down raises the level; sensitivity follows the start width', () => {
    const start = { center: 40, width: 300 };
    expect(draggedWindow(start, 300, 0)).toEqual({ center: 40, width: 600 });
    expect(draggedWindow(start, -150, 0)).toEqual({ center: 40, width: 150 });
    expect(draggedWindow(start, 0, 30)).toEqual({ center: 70, width: 300 });
    expect(draggedWindow({ center: 2000, width: 3000 }, 0, -30)).toEqual({ center: 1700, width: 3000 });
  });

  it('never goes below a width of 1', () => {
    expect(draggedWindow({ center: 0, width: 10 }, -10_000, 0).width).toBe(1);
  });

  it('offers the file windows first, and the HU presets only for CT', () => {
    const own = [{ center: 40, width: 400, explanation: 'SOFT TISSUE' }];
    const ct = presetsFor(image({ modality: 'CT' }, own), null);
    expect(ct.map((p) => p.name)).toEqual(['SOFT TISSUE', ...CT_PRESETS.map((p) => p.name)]);
    expect(presetsFor(image({ modality: 'CR' }, own), 'CR').map((p) => p.name)).toEqual(['SOFT TISSUE']);
    // The case's modality counts when the image has no DICOM attributes.
    expect(presetsFor(image(null), 'CT')).toHaveLength(CT_PRESETS.length);
    expect(presetsFor(image(null, [{ center: 1, width: 2, explanation: null }]), null)[0]?.name).toBe('File window 1');
    expect(formatWindow({ center: -600, width: 1500 })).toBe('W 1500 · L -600');
  });
});

describe('the training wizard', () => {
  const ready: WizardState = {
    ...initialWizard,
    symptoms: { kind: 'file', path: ' /data/shapes.json ' },
    source: 'folder',
    folder: '/data/ds',
    valPercent: 20,
    task: '  lesions ',
  };

  it('builds training.start from the choices', () => {
    expect(startParams(ready)).toEqual({
      symptomsPath: '/data/shapes.json',
      dataset: '/data/ds',
      valFraction: 0.2,
      seed: FAST_SETTINGS.seed,
      task: 'lesions',
      epochs: FAST_SETTINGS.epochs,
      batchSize: FAST_SETTINGS.batchSize,
      lr: FAST_SETTINGS.lr,
      optimizer: FAST_SETTINGS.optimizer,
      views: FAST_SETTINGS.views,
      schedule: 'fast',
    });
    expect(startParams({ ...ready, schedule: 'exact' }).schedule).toBe('exact');
    expect(startParams({ ...initialWizard, symptoms: { kind: 'stored', id: 7 } })).toMatchObject({
      symptomSetVersionId: 7,
      fromReviews: true,
    });
  });

  it('holds each step until its inputs are complete and the data was counted for these very inputs', () => {
    expect(stepProblems({ ...ready, symptoms: { kind: 'file', path: ' ' } }, 1)).toHaveLength(1);
    expect(stepProblems({ ...ready, symptoms: { kind: 'none' } }, 1)).toEqual(['Choose an approved symptom set.']);
    expect(stepProblems(ready, 1)).toEqual([]);
    expect(stepProblems(ready, 2)[0]).toMatch(/Count the data/);
    const preview = {
      classes: ['a', 'b'],
      counts: {},
      valSource: 'stratified' as const,
      skipped: 0,
      warnings: [],
      unmatched: {},
      problem: null,
      estimate: null,
    };
    const counted = { ...ready, preview, previewKey: dataKey(ready) };
    expect(stepProblems(counted, 2)).toEqual([]);
    // Changing the validation share makes the count stale.
    expect(stepProblems({ ...counted, valPercent: 30 }, 2)[0]).toMatch(/Count the data/);
    expect(stepProblems({ ...counted, preview: { ...preview, problem: 'no reviews of "b"' } }, 2)).toEqual([
      'no reviews of "b"',
    ]);
    expect(stepProblems({ ...ready, settings: { ...FAST_SETTINGS, epochs: 0, lr: 0 } }, 3)).toHaveLength(2);
  });
});

describe('the training time estimate', () => {
  const version = (id: number, metrics: Record<string, unknown> | null): ModelVersionInfo => ({
    id,
    name: `v${id}`,
    task: 't',
    modelPackageId: 'demo',
    symptomSetVersionId: 1,
    symptomSetName: 's',
    symptomSetVersion: 1,
    symptomSetApproved: true,
    trainingRunId: id,
    classes: ['a', 'b'],
    method: 'vip',
    aggregate: 'mep',
    schedule: 'exact',
    active: false,
    createdAt: '2024-01-01T00:00:00Z',
    accuracy: null,
    macroF1: null,
    metrics,
  });

  it('scales the newest version’s seconds per image-epoch to the plan', () => {
    const versions = [
      version(1, { timing: { secondsPerEpoch: 100 }, counts: { train: 10 } }),
      version(2, { timing: { secondsPerEpoch: 2 }, counts: { train: 20 } }),
    ];
    const e = estimateTraining(versions, { epochs: 10, trainImages: 40, views: 2 });
    // 2 s / 20 images = 0.1 s per image-epoch; 10 epochs x 40 images x 2 views.
    expect(e?.seconds).toBeCloseTo(80, 9);
    expect(e?.basis).toContain('version #2');
  });

  it('gives no estimate without history or data', () => {
    expect(estimateTraining([version(1, null)], { epochs: 10, trainImages: 40, views: 1 })).toBeNull();
    expect(estimateTraining([], { epochs: 10, trainImages: 40, views: 1 })).toBeNull();
    expect(formatDuration(59.4)).toBe('59 s');
    expect(formatDuration(125)).toBe('2 min 05 s');
    expect(formatDuration(7260)).toBe('2 h 01 min');
  });
});

describe('evidence bars', () => {
  it('share one scale per quantity across classes, signed when any similarity is negative', () => {
    const p = {
      classes: ['a', 'b'],
      symptoms: {
        a: [{ text: 'x', weight: 0.5, similarity: 0.2, contribution: 3 }],
        b: [{ text: 'y', weight: 1, similarity: -0.3, contribution: -1 }],
      },
      prototypeContribution: { a: 0.5, b: -4 },
    } as unknown as StoredPrediction;
    expect(evidenceScales(p)).toEqual({ similarity: 0.3, similaritySigned: true, contribution: 4 });
    expect(signed(-1.234)).toBe('−1.23');
    expect(signed(0)).toBe('+0.00');
  });
});
