/**
 * Every kind of bad input ends in one line naming the reason (a bad_input VipError: exit code 2 in the CLI), without
 * hanging, and a failing decoder leaves the next file decodable.
 */
import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/main/engine/imaging/decode';
import { PROBE_DECODE_PIXELS, probeImage } from '../../src/main/engine/imaging/probe';
import { PIXEL_BUDGET } from '../../src/main/engine/imaging/pixel-budget';
import { encodeFrame } from './helpers/codec-encode';
import { concat, TS, writeDicom } from './helpers/dicom-file';
import { imageElements, nativePixelData, pattern, sampleBytes, type ImageSpec } from './helpers/image-spec';

/** Both entry points (import probe and decode for display) refuse it with exactly one line matching `reason`. */
async function expectRefused(bytes: Uint8Array, reason: RegExp): Promise<void> {
  for (const attempt of [() => probeImage(bytes), () => decodeImage(bytes)]) {
    const err = await attempt().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err, 'accepted although bad').toMatchObject({ code: 'bad_input' });
    const message = (err as Error).message;
    expect(message).toMatch(reason);
    expect(message).not.toContain('\n');
  }
}

const small: ImageSpec = { rows: 4, columns: 4, pixelData: nativePixelData(pattern(4, 4, 0, 4095)) };

describe('not an image', () => {
  it('refuses text, a PDF and a GIF, saying what they look like', async () => {
    await expectRefused(new TextEncoder().encode('patient notes, not an image\n'), /^not a supported image \(expected/);
    await expectRefused(new TextEncoder().encode('%PDF-1.7 ...............'), /looks like a PDF document/);
    await expectRefused(new TextEncoder().encode('GIF89a..............'), /looks like a GIF image/);
    await expectRefused(new Uint8Array(0), /^empty file/);
  });

  const nonImages: [string, string, string, RegExp][] = [
    [
      'an RT Plan',
      '1.2.840.10008.5.1.4.1.1.481.5',
      'RTPLAN',
      /it is an RT Plan \(SOP class 1\.2\.840\.10008\.5\.1\.4\.1\.1\.481\.5\)/,
    ],
    ['a structured report', '1.2.840.10008.5.1.4.1.1.88.33', 'SR', /it is a Comprehensive structured report/],
    ['an ECG waveform', '1.2.840.10008.5.1.4.1.1.9.1.1', 'ECG', /it is a 12-lead ECG waveform/],
    [
      'an unknown object',
      '1.2.3.4.5',
      'OT',
      /^DICOM file has no pixel data \(SOP class 1\.2\.3\.4\.5\): not an image$/,
    ],
  ];
  for (const [what, sopClassUid, modality, reason] of nonImages) {
    it(`refuses ${what} (no pixel data), naming it`, async () => {
      const elements = imageElements({ rows: 0, columns: 0, sopClassUid, modality }).filter(
        (e) => e.tag < 0x00280000, // no image pixel module at all
      );
      await expectRefused(writeDicom(elements), reason);
    });
  }
});

describe('broken files', () => {
  it('refuses native pixel data cut short', async () => {
    // Explicit VR: the parser notices the pixel data element runs past the end.
    const explicit = writeDicom(imageElements(small));
    await expectRefused(explicit.subarray(0, explicit.length - 5), /^cannot parse DICOM: file is truncated/);
    // Implicit VR: the parser does not, the pixel module check does.
    const implicit = writeDicom(imageElements(small), { syntax: TS.implicitLE });
    await expectRefused(
      implicit.subarray(0, implicit.length - 5),
      /^DICOM pixel data holds 27 bytes; Rows x Columns x frames needs 32 \(truncated file\?\)$/,
    );
  });

  it('refuses a file cut inside its header', async () => {
    const whole = writeDicom(imageElements(small));
    // Cut in the middle of the data set's first elements (after the meta group, before the pixel module).
    await expectRefused(whole.subarray(0, 300), /truncated|no Rows|no pixel data|cannot parse DICOM/);
  });

  it('refuses an encapsulated frame cut short', async () => {
    const samples = sampleBytes(pattern(16, 16, 0, 4095), 16);
    const format = {
      width: 16,
      height: 16,
      bitsAllocated: 16,
      bitsStored: 12,
      samplesPerPixel: 1,
      pixelRepresentation: 0,
      photometric: 'MONOCHROME2',
    };
    const frame = await encodeFrame('j2k', samples, format);
    const whole = writeDicom(imageElements({ rows: 16, columns: 16, bitsStored: 12 }), {
      syntax: TS.j2kLossless,
      encapsulated: { frames: [frame] },
    });
    await expectRefused(
      whole.subarray(0, whole.length - 40),
      /truncated|cannot decode the JPEG 2000 Lossless pixel data of frame 1/,
    );
  });

  it('refuses a corrupt compressed frame, and the decoder still works for the next file', async () => {
    const garbage = concat([new Uint8Array([0xff, 0xd8, 0xff, 0xdb, 0x00, 0x43]), new Uint8Array(200).fill(0x5a)]);
    const bad = writeDicom(imageElements({ rows: 8, columns: 8, bitsAllocated: 8 }), {
      syntax: TS.jpegBaseline,
      encapsulated: { frames: [garbage] },
    });
    await expectRefused(bad, /^cannot decode the JPEG Baseline pixel data of frame 1: .+/);
    const values = pattern(8, 8, 0, 255, 3);
    const format = {
      width: 8,
      height: 8,
      bitsAllocated: 8,
      bitsStored: 8,
      samplesPerPixel: 1,
      pixelRepresentation: 0,
      photometric: 'MONOCHROME2',
    };
    const good = writeDicom(imageElements({ rows: 8, columns: 8, bitsAllocated: 8 }), {
      syntax: TS.jpegLsLossless,
      encapsulated: { frames: [await encodeFrame('jpeg-ls', sampleBytes(values, 8), format)] },
    });
    const img = await decodeImage(good);
    expect(img.kind === 'gray' && Array.from(img.values)).toEqual(values);
  });

  it('checks large compressed frames at import by their codestream start, and decodes them on display', async () => {
    // Above PROBE_DECODE_PIXELS the import only looks at the start of the frame.
    const large = (frame: Uint8Array) =>
      writeDicom(imageElements({ rows: 1024, columns: 1025, bitsStored: 12 }), {
        syntax: TS.j2kLossless,
        encapsulated: { frames: [frame] },
      });
    expect(1024 * 1025).toBeGreaterThan(PROBE_DECODE_PIXELS);
    const garbage = large(new Uint8Array(64).fill(7));
    await expect(probeImage(garbage)).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/^the JPEG 2000 Lossless pixel data of frame 1 is not a JPEG 2000 codestream/),
    });
    await expect(decodeImage(garbage)).rejects.toMatchObject({ code: 'bad_input' });
    const startsRight = large(concat([new Uint8Array([0xff, 0x4f, 0xff, 0x51]), new Uint8Array(60).fill(7)]));
    await expect(probeImage(startsRight)).resolves.toMatchObject({ width: 1025, height: 1024 });
    await expect(decodeImage(startsRight)).rejects.toMatchObject({
      code: 'bad_input',
      message: expect.stringMatching(/^cannot decode the JPEG 2000 Lossless pixel data of frame 1: /),
    });
  });

  it('stops a decode that takes longer than its time limit, and decodes the next frame normally', async () => {
    // A 1 ms limit stands in for a decoder that never finishes: starting the thread alone takes longer.
    const values = pattern(256, 256, 0, 4095, 4);
    const format = {
      width: 256,
      height: 256,
      bitsAllocated: 16,
      bitsStored: 12,
      samplesPerPixel: 1,
      pixelRepresentation: 0,
      photometric: 'MONOCHROME2',
    };
    const file = writeDicom(imageElements({ rows: 256, columns: 256, bitsStored: 12 }), {
      syntax: TS.j2kLossless,
      encapsulated: { frames: [await encodeFrame('j2k', sampleBytes(values, 16), format)] },
    });
    process.env['VIP_DECODE_TIMEOUT_MS'] = '1';
    try {
      await expect(decodeImage(file)).rejects.toMatchObject({
        code: 'bad_input',
        message: 'cannot decode the JPEG 2000 Lossless pixel data of frame 1: the decoder did not finish within 1 ms',
      });
    } finally {
      delete process.env['VIP_DECODE_TIMEOUT_MS'];
    }
    const img = await decodeImage(file);
    expect(img.kind === 'gray' && Array.from(img.values)).toEqual(values);
  });

  it('refuses a corrupt deflate stream', async () => {
    const whole = writeDicom(imageElements(small), { syntax: TS.deflatedLE });
    const damaged = Buffer.from(whole);
    damaged.fill(0xff, damaged.length - 60, damaged.length - 20);
    // Depending on where the damage lands, inflating fails or yields garbage elements: either way one line.
    await expectRefused(damaged, /^(cannot parse DICOM: deflated data set is corrupt|bad DICOM value representation)/);
  });

  it('refuses an element whose VR is not a DICOM VR, naming the tag', async () => {
    const elements = imageElements(small).map((e) => (e.tag === 0x00080070 ? { ...e, vr: 'ZZ' } : e));
    await expectRefused(writeDicom(elements), /^bad DICOM value representation "ZZ" at tag \(0008,0070\)$/);
  });

  it('refuses frames that do not exist', async () => {
    const file = writeDicom(imageElements({ ...small, frames: 1 }));
    await expect(decodeImage(file, 1)).rejects.toMatchObject({
      code: 'bad_input',
      message: 'DICOM image has 1 frame(s); frame 2 does not exist',
    });
  });
});

describe('refused by policy', () => {
  it('refuses a transfer syntax it cannot decode, by name', async () => {
    const mpeg = writeDicom(imageElements({ rows: 8, columns: 8, bitsAllocated: 8 }), {
      syntax: '1.2.840.10008.1.2.4.100',
      encapsulated: { frames: [new Uint8Array([0, 0, 1, 0xb3])] },
    });
    await expectRefused(
      mpeg,
      /^DICOM transfer syntax 1\.2\.840\.10008\.1\.2\.4\.100 \(MPEG2 Main Profile\) is not supported$/,
    );
    const unknown = writeDicom(imageElements(small), { syntax: '1.2.3.4.5.6' });
    await expectRefused(unknown, /^DICOM transfer syntax 1\.2\.3\.4\.5\.6 is not supported$/);
  });

  it('refuses a DICOM image above the pixel budget before allocating it', async () => {
    // 60000 x 60000 claimed, a few bytes present: refused from the header.
    const huge = writeDicom(imageElements({ rows: 60000, columns: 60000, pixelData: nativePixelData([1, 2, 3, 4]) }));
    await expectRefused(
      huge,
      /^DICOM image of 60000 x 60000 pixels \(3600 megapixels\) exceeds the pixel budget of 67\.1 megapixels per frame$/,
    );
    expect(PIXEL_BUDGET).toBe(8192 * 8192);
  });

  it('refuses a PNG above the pixel budget from its header', async () => {
    // A PNG signature, an IHDR claiming 100000 x 100000 8-bit grey, ten bytes of image data, and IEND.
    const chunk = (type: string, data: number[]) => {
      const body = Buffer.concat([Buffer.from(type, 'latin1'), Buffer.from(data)]);
      const out = Buffer.alloc(body.length + 8);
      out.writeUInt32BE(data.length, 0);
      body.copy(out, 4);
      out.writeUInt32BE(crc32(body), body.length + 4);
      return out;
    };
    const be32 = (v: number) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', [...be32(100000), ...be32(100000), 8, 0, 0, 0, 0]),
      chunk('IDAT', [...deflateSync(Buffer.alloc(10))]),
      chunk('IEND', []),
    ]);
    await expectRefused(png, /^PNG image of 100000 x 100000 pixels \(10000 megapixels\) exceeds the pixel budget/);
  });
});

describe('never anything but a one-line bad_input', () => {
  async function outcome(bytes: Uint8Array): Promise<string> {
    try {
      await probeImage(bytes);
      await decodeImage(bytes);
      return 'ok';
    } catch (err) {
      if (err instanceof Error && 'code' in err && err.code === 'bad_input' && !err.message.includes('\n')) {
        return 'bad_input';
      }
      return `unexpected: ${err instanceof Error ? `${err.name} ${err.message}` : String(err)}`;
    }
  }

  async function files(): Promise<[string, Uint8Array][]> {
    const values = pattern(8, 8, 0, 4095, 9);
    const format = {
      width: 8,
      height: 8,
      bitsAllocated: 16,
      bitsStored: 12,
      samplesPerPixel: 1,
      pixelRepresentation: 0,
      photometric: 'MONOCHROME2',
    };
    const spec: ImageSpec = { rows: 8, columns: 8, bitsStored: 12, windowCenter: '2000', windowWidth: '4000' };
    const native = { ...spec, pixelData: nativePixelData(values) };
    return [
      ['explicit LE', writeDicom(imageElements(native))],
      ['implicit LE', writeDicom(imageElements(native), { syntax: TS.implicitLE })],
      ['big endian', writeDicom(imageElements(native), { syntax: TS.explicitBE })],
      ['deflated', writeDicom(imageElements(native), { syntax: TS.deflatedLE })],
      [
        'RLE',
        writeDicom(imageElements(spec), {
          syntax: TS.rle,
          encapsulated: { frames: [await encodeFrame('rle', sampleBytes(values, 16), format)] },
        }),
      ],
      [
        'JPEG 2000',
        writeDicom(imageElements(spec), {
          syntax: TS.j2kLossless,
          encapsulated: { frames: [await encodeFrame('j2k', sampleBytes(values, 16), format)] },
        }),
      ],
    ];
  }

  it('for every truncation of files in six syntaxes', async () => {
    for (const [label, whole] of await files()) {
      expect(await outcome(whole), label).toBe('ok');
      for (let cut = 0; cut < whole.length; cut += 3) {
        expect(await outcome(whole.subarray(0, cut)), `${label} cut at ${cut}`).toBe('bad_input');
      }
    }
  });

  it('for 600 files with random bytes overwritten (seeded)', async () => {
    let seed = 12345;
    const random = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    for (const [label, whole] of await files()) {
      for (let n = 0; n < 100; n++) {
        const damaged = Uint8Array.from(whole);
        const hits = 1 + Math.floor(random() * 4);
        for (let h = 0; h < hits; h++) damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256);
        expect(await outcome(damaged), `${label} variant ${n}`).toMatch(/^(ok|bad_input)$/);
      }
    }
  });
});
