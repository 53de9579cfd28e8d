/** What a DICOM object without pixel data is, so the refusal says "an RT Plan" rather than only "no pixels". */

const SOP_CLASS_NAMES: Record<string, string> = {
  '1.2.840.10008.1.3.10': 'a DICOMDIR (media directory)',
  '1.2.840.10008.5.1.4.1.1.481.3': 'an RT Structure Set',
  '1.2.840.10008.5.1.4.1.1.481.4': 'an RT Beams Treatment Record',
  '1.2.840.10008.5.1.4.1.1.481.5': 'an RT Plan',
  '1.2.840.10008.5.1.4.1.1.481.8': 'an RT Ion Plan',
  '1.2.840.10008.5.1.4.1.1.88.11': 'a Basic Text structured report',
  '1.2.840.10008.5.1.4.1.1.88.22': 'an Enhanced structured report',
  '1.2.840.10008.5.1.4.1.1.88.33': 'a Comprehensive structured report',
  '1.2.840.10008.5.1.4.1.1.88.34': 'a Comprehensive 3D structured report',
  '1.2.840.10008.5.1.4.1.1.88.50': 'a Mammography CAD structured report',
  '1.2.840.10008.5.1.4.1.1.88.59': 'a Key Object Selection document',
  '1.2.840.10008.5.1.4.1.1.88.65': 'a Chest CAD structured report',
  '1.2.840.10008.5.1.4.1.1.88.67': 'an X-Ray Radiation Dose structured report',
  '1.2.840.10008.5.1.4.1.1.9.1.1': 'a 12-lead ECG waveform',
  '1.2.840.10008.5.1.4.1.1.9.1.2': 'a General ECG waveform',
  '1.2.840.10008.5.1.4.1.1.9.1.3': 'an Ambulatory ECG waveform',
  '1.2.840.10008.5.1.4.1.1.9.2.1': 'a Hemodynamic waveform',
  '1.2.840.10008.5.1.4.1.1.9.3.1': 'a Cardiac Electrophysiology waveform',
  '1.2.840.10008.5.1.4.1.1.9.4.1': 'a Basic Voice Audio waveform',
  '1.2.840.10008.5.1.4.1.1.9.4.2': 'a General Audio waveform',
  '1.2.840.10008.5.1.4.1.1.9.5.1': 'an Arterial Pulse waveform',
  '1.2.840.10008.5.1.4.1.1.9.6.1': 'a Respiratory waveform',
  '1.2.840.10008.5.1.4.1.1.11.1': 'a Grayscale Softcopy Presentation State',
  '1.2.840.10008.5.1.4.1.1.11.2': 'a Color Softcopy Presentation State',
  '1.2.840.10008.5.1.4.1.1.104.1': 'an Encapsulated PDF',
  '1.2.840.10008.5.1.4.1.1.104.2': 'an Encapsulated CDA document',
  '1.2.840.10008.5.1.4.1.1.66': 'a Raw Data object',
};

const MODALITY_NAMES: Record<string, string> = {
  SR: 'a structured report',
  RTPLAN: 'an RT Plan',
  RTSTRUCT: 'an RT Structure Set',
  RTRECORD: 'an RT Treatment Record',
  ECG: 'an ECG waveform',
  HD: 'a Hemodynamic waveform',
  AU: 'an audio waveform',
  PR: 'a Presentation State',
  KO: 'a Key Object Selection document',
  DOC: 'an encapsulated document',
};

/** One line for a DICOM object that has no pixel data. */
export function noPixelDataMessage(sopClassUid: string | null, modality: string | null): string {
  const what =
    (sopClassUid ? SOP_CLASS_NAMES[sopClassUid] : undefined) ?? (modality ? MODALITY_NAMES[modality] : undefined);
  const sop = sopClassUid ? ` (SOP class ${sopClassUid})` : '';
  return what
    ? `DICOM file has no pixel data: it is ${what}${sop}, not an image`
    : `DICOM file has no pixel data${sop}: not an image`;
}

/** Whether a SOP class is one of the non-image objects above (a PACS retrieve skips those without downloading). */
export function isNonImageSopClass(sopClassUid: string | null): boolean {
  return sopClassUid !== null && Object.prototype.hasOwnProperty.call(SOP_CLASS_NAMES, sopClassUid);
}
