/** The files `vip predict` reads in the benchmark: a 512 x 512 PNG of the synthetic chest and a symptom set. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { builtinSymptomSets } from '../vip/builtin-symptoms';
import { radiographSamples } from './synthetic-radiograph';

export interface PredictInputs {
  png: string;
  symptoms: string;
  description: string;
}

export async function writePredictInputs(dir: string): Promise<PredictInputs> {
  const size = 512;
  const samples = radiographSamples(size, 3);
  // The DICOM's own window (centre 30000, width 50000) to 8 bits.
  const gray = Uint8Array.from(samples, (v) => Math.max(0, Math.min(255, Math.round(((v - 5000) / 50000) * 255))));
  const png = join(dir, 'chest.png');
  await sharp(gray, { raw: { width: size, height: size, channels: 1 } })
    .png()
    .toFile(png);
  const symptoms = join(dir, 'symptoms.json');
  const chest = builtinSymptomSets.find((s) => s.id === 'chest-xray');
  await writeFile(symptoms, JSON.stringify(chest?.symptoms ?? {}, null, 2));
  return { png, symptoms, description: '512x512 8-bit grayscale PNG (synthetic chest)' };
}
