/** The files `vip predict` reads in the benchmark: a 512 x 512 PNG of the synthetic chest and a symptom set. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { builtinSymptomSets } from '../vip/builtin-symptoms';
import { radiographSamples } from './synthetic-radiograph';

export interface PredictInputs {
  /** One PNG per run, each a different synthetic chest, so that no run is answered from the feature cache. */
  pngs: string[];
  symptoms: string;
  description: string;
}

export async function writePredictInputs(dir: string, count = 1): Promise<PredictInputs> {
  const size = 512;
  const pngs: string[] = [];
  for (let i = 0; i < count; i++) {
    const { values, center, width } = radiographSamples(size, 3 + i);
    // Through its window to 8 bits, as a PACS export of the image would be.
    const low = center - width / 2;
    const gray = Uint8Array.from(values, (v) => Math.max(0, Math.min(255, Math.round(((v - low) / width) * 255))));
    const png = join(dir, `chest-${i + 1}.png`);
    await sharp(gray, { raw: { width: size, height: size, channels: 1 } })
      .png()
      .toFile(png);
    pngs.push(png);
  }
  const symptoms = join(dir, 'symptoms.json');
  const chest = builtinSymptomSets.find((s) => s.id === 'chest-xray');
  await writeFile(symptoms, JSON.stringify(chest?.symptoms ?? {}, null, 2));
  return {
    pngs,
    symptoms,
    description: `512x512 8-bit grayscale PNG (synthetic chest), a different one in each of ${count} runs`,
  };
}
