/** Small test images written with sharp: distinct content, so each import is a new case rather than a duplicate. */
import sharp from 'sharp';

export async function writeTestPng(path: string, width: number, height: number, seed: number): Promise<void> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      // A bright disc on a gradient, shifted by the seed: looks like something in a screenshot, differs per seed.
      const dx = x - width / 2 - (seed % 9) * 3;
      const dy = y - height / 2;
      const disc = dx * dx + dy * dy < (Math.min(width, height) / 3) ** 2 ? 120 : 0;
      const v = Math.min(255, Math.round((x / width) * 100 + (y / height) * 35) + disc + seed);
      data[i] = v;
      data[i + 1] = v;
      data[i + 2] = v;
    }
  }
  await sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(path);
}
