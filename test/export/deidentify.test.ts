/** De-identification rules: UID remapping, pseudonyms, the Basic Profile actions on stored attributes, scrubbing. */
import { describe, expect, it } from 'vitest';
import { deidentifier, scrubIdentifiers, storedAttributeRules } from '../../src/main/engine/export/deidentify';
import { csvDocument, csvField } from '../../src/main/engine/export/csv';
import { parseCsv } from './helpers/read-export';

const stored = {
  studyInstanceUid: '1.2.3.4',
  seriesInstanceUid: '1.2.3.4.5',
  sopInstanceUid: '1.2.3.4.5.6',
  sopClassUid: '1.2.840.10008.5.1.4.1.1.1.1',
  modality: 'CR',
  studyDate: '2024-01-31',
  studyDescription: 'CHEST PA Moriarty',
  seriesDescription: 'PA Moriarty',
  rows: 48,
  windowCenter: [40],
  someFieldAddedLater: 'Moriarty',
};

describe('deidentifier', () => {
  it('maps each original UID to one new 2.25 UID, the same every time within an export', () => {
    const d = deidentifier(false);
    const a = d.uid('1.2.3.4');
    expect(a).toMatch(/^2\.25\.\d{1,39}$/);
    expect(a!.length).toBeLessThanOrEqual(64);
    expect(d.uid('1.2.3.4')).toBe(a);
    expect(d.uid('1.2.3.5')).not.toBe(a);
    // Another export maps the same UID elsewhere: nothing links two exports.
    expect(deidentifier(false).uid('1.2.3.4')).not.toBe(a);
  });

  it('applies the Basic Profile to stored attributes: U remapped, Z emptied, X and unknown fields removed', () => {
    const d = deidentifier(false);
    const out = d.dicomAttributes(stored)!;
    expect(out['studyInstanceUid']).toBe(d.uid('1.2.3.4'));
    expect(out['sopInstanceUid']).toBe(d.uid('1.2.3.4.5.6'));
    expect(out['sopClassUid']).toBe(stored.sopClassUid);
    expect(out['studyDate']).toBeNull();
    expect('studyDescription' in out).toBe(false);
    expect('seriesDescription' in out).toBe(false);
    expect('someFieldAddedLater' in out).toBe(false);
    expect(out['modality']).toBe('CR');
    expect(out['rows']).toBe(48);
    expect(out['windowCenter']).toEqual([40]);
    expect(JSON.stringify(out)).not.toMatch(/Moriarty|1\.2\.3\.4|2024-01-31/);
  });

  it('classifies every attribute the importer stores', () => {
    // The fields readDicomAttributes returns; a new one must get a rule (else it is dropped from de-identified exports).
    const keys = [
      'studyInstanceUid',
      'seriesInstanceUid',
      'sopInstanceUid',
      'sopClassUid',
      'transferSyntaxUid',
      'modality',
      'bodyPartExamined',
      'viewPosition',
      'studyDate',
      'studyDescription',
      'seriesDescription',
      'seriesNumber',
      'instanceNumber',
      'manufacturer',
      'manufacturerModelName',
      'pixelSpacing',
      'photometricInterpretation',
      'rows',
      'columns',
      'numberOfFrames',
      'samplesPerPixel',
      'bitsAllocated',
      'bitsStored',
      'highBit',
      'pixelRepresentation',
      'planarConfiguration',
      'rescaleSlope',
      'rescaleIntercept',
      'windowCenter',
      'windowWidth',
      'windowExplanation',
      'voiLutFunction',
      'voiLuts',
      'modalityLut',
      'pixelPaddingValue',
      'encapsulated',
    ];
    for (const k of keys) expect(storedAttributeRules[k], k).toBeDefined();
  });

  it('gives patients and people pseudonyms per export; identified exports keep everything', () => {
    const d = deidentifier(false);
    expect(d.patient('pk-aaa', 1)).toBe('Patient 1');
    expect(d.patient('pk-bbb', 2)).toBe('Patient 2');
    expect(d.patient('pk-aaa', 3)).toBe('Patient 1');
    expect(d.patient(null, 4)).toBe('Patient 3');
    expect(d.patient(null, 5)).toBe('Patient 4');
    expect(d.person('Dr Irene Adler')).toBe('Person 1');
    expect(d.person('Dr Irene Adler')).toBe('Person 1');
    expect(d.person(null)).toBeNull();
    expect(d.record()?.code.value).toBe('113100');

    const id = deidentifier(true);
    expect(id.uid('1.2.3.4')).toBe('1.2.3.4');
    expect(id.patient('pk-aaa', 1)).toBe('pk-aaa');
    expect(id.person('Dr Irene Adler')).toBe('Dr Irene Adler');
    expect(id.dicomAttributes(stored)).toEqual(stored);
    expect(id.scrub('Moriarty', ['Moriarty'])).toBe('Moriarty');
    expect(id.record()).toBeNull();
  });

  it('scrubs name parts, IDs and birth dates from free text, whole words only', () => {
    const text = 'Jacqueline MORIARTY (MRN-7734201), born 1961-04-22 / 19610422; Moriartyville is a place.';
    const out = scrubIdentifiers(text, ['Moriarty^Jacqueline', 'MRN-7734201', '1961-04-22']);
    expect(out).toBe('[removed] [removed] ([removed]), born [removed] / [removed]; Moriartyville is a place.');
    expect(scrubIdentifiers('keep this', [null, '', 'X'])).toBe('keep this');
  });
});

describe('csv', () => {
  it('quotes, doubles quotes, guards formulas and round-trips through an RFC 4180 parser', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField(-0.25)).toBe('-0.25');
    expect(csvField(null)).toBe('');
    const doc = csvDocument(
      ['a', 'b'],
      [
        ['x,y', 'line\nbreak'],
        [1, true],
      ],
    );
    expect(doc.startsWith('\uFEFF')).toBe(true);
    expect(parseCsv(doc)).toEqual([
      ['a', 'b'],
      ['x,y', 'line\nbreak'],
      ['1', 'true'],
    ]);
  });
});
