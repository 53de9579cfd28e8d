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
  const { values, center, width } = radiographSamples(size, 3);
  // Through its window to 8 bits, as a PACS export of the image would be.
  const low = center - width / 2;
  const gray = Uint8Array.from(values, (v) => Math.max(0, Math.min(255, Math.round(((v - low) / width) * 255))));
  const png = join(dir, 'chest.png');
  await sharp(gray, { raw: { width: size, height: size, channels: 1 } })
    .png()
    .toFile(png);
  const symptoms = join(dir, 'symptoms.json');
  const chest = builtinSymptomSets.find((s) => s.id === 'chest-xray');
  await writeFile(symptoms, JSON.stringify(chest?.symptoms ?? {}, null, 2));
  return { png, symptoms, description: '512x512 8-bit grayscale PNG (synthetic chest)' };
}
