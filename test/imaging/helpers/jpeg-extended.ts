/**
 * A JPEG Extended (process 2, SOF1) grayscale writer for tests, for 12-bit samples that the libjpeg-turbo encoder in
 * dcmjs-codecs cannot write lossy. Every 8 x 8 block is flat: only its DC coefficient is coded (quantiser 1, AC all
 * end-of-block), so the decoded pixels equal the block values exactly and a test can check them exactly.
 * Layout per ITU T.81: SOI, DQT, SOF1, DHT (DC, AC), SOS, entropy-coded data with 0xFF stuffing, EOI.
 */

class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private count = 0;
  write(value: number, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >>> i) & 1);
      if (++this.count === 8) this.flushByte();
    }
  }
  private flushByte(): void {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0x00);
    this.acc = 0;
    this.count = 0;
  }
  done(): number[] {
    while (this.count !== 0) this.write(1, 1);
    return this.bytes;
  }
}

const segment = (marker: number, body: number[]): number[] => [
  0xff,
  marker,
  (body.length + 2) >> 8,
  (body.length + 2) & 0xff,
  ...body,
];

/** `blocks[by][bx]` is the value of each 8 x 8 block; the image is 8 * columns x 8 * rows. */
export function flatBlockJpeg(blocks: number[][], precision: 8 | 12): Uint8Array {
  const rows = blocks.length;
  const cols = blocks[0]!.length;
  const height = rows * 8;
  const width = cols * 8;
  const levelShift = 1 << (precision - 1);
  // DC table: categories 0..15, all with 5-bit codes (0b00000 + category). AC table: one symbol, EOB, code '0'.
  const dcCounts = [0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const dcSymbols = Array.from({ length: 16 }, (_, i) => i);
  const acCounts = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const bits = new BitWriter();
  let previous = 0;
  for (let by = 0; by < rows; by++) {
    for (let bx = 0; bx < cols; bx++) {
      const dc = 8 * (blocks[by]![bx]! - levelShift);
      const diff = dc - previous;
      previous = dc;
      const magnitude = Math.abs(diff);
      const category = magnitude === 0 ? 0 : Math.floor(Math.log2(magnitude)) + 1;
      bits.write(category, 5);
      if (category > 0) bits.write(diff >= 0 ? diff : diff + (1 << category) - 1, category);
      bits.write(0, 1); // EOB
    }
  }
  return Uint8Array.from([
    0xff,
    0xd8,
    ...segment(0xdb, [0x00, ...new Array<number>(64).fill(1)]),
    ...segment(0xc1, [precision, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]),
    ...segment(0xc4, [0x00, ...dcCounts, ...dcSymbols]),
    ...segment(0xc4, [0x10, ...acCounts, 0x00]),
    ...segment(0xda, [1, 1, 0x00, 0, 63, 0]),
    ...bits.done(),
    0xff,
    0xd9,
  ]);
}

/** The pixels the blocks stand for, row-major. */
export function flatBlockPixels(blocks: number[][]): number[] {
  const out: number[] = [];
  for (const row of blocks) for (let y = 0; y < 8; y++) for (const v of row) for (let x = 0; x < 8; x++) out.push(v);
  return out;
}
