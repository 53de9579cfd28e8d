/**
 * A cheap look at a compressed frame without decoding it: does it start the way its syntax's codestream must?
 * Import uses it for large frames, whose full decode would slow a batch down (the viewer decodes them anyway).
 */
import { badInput } from '@shared/errors';
import type { TransferSyntax } from './transfer-syntax';

/** Throws badInput when the frame cannot be a codestream of the syntax. */
export function assertCodestreamStart(
  frame: Uint8Array,
  syntax: TransferSyntax,
  expectedRleSegments: number,
  frameLabel: string,
): void {
  const fail = (what: string) => {
    throw badInput(`the ${syntax.name} pixel data of ${frameLabel} is not a ${what}`);
  };
  const b = (i: number): number => frame[i] ?? -1;
  switch (syntax.encoding) {
    case 'jpeg':
    case 'jpeg-ls':
      if (b(0) !== 0xff || b(1) !== 0xd8) fail('JPEG codestream (no start-of-image marker)');
      return;
    case 'jpeg2000':
    case 'htj2k': {
      const codestream = b(0) === 0xff && b(1) === 0x4f && b(2) === 0xff && b(3) === 0x51;
      const jp2 = b(0) === 0 && b(1) === 0 && b(2) === 0 && b(3) === 0x0c && b(4) === 0x6a && b(5) === 0x50;
      if (!codestream && !jp2) fail('JPEG 2000 codestream (no SOC/SIZ markers or JP2 signature)');
      return;
    }
    case 'jpeg-xl':
      if (!(b(0) === 0xff && b(1) === 0x0a) && !(b(0) === 0 && b(3) === 0x0c && b(4) === 0x4a)) {
        fail('JPEG XL codestream');
      }
      return;
    case 'rle': {
      // PS3.5 G.5: a 64-byte header, the number of segments, then their offsets; the first follows the header.
      if (frame.length < 64) fail('RLE frame (shorter than its 64-byte header)');
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      const segments = view.getUint32(0, true);
      if (segments !== expectedRleSegments) {
        fail(`RLE frame with ${expectedRleSegments} segments (its header says ${segments})`);
      }
      let previous = 0;
      for (let i = 1; i <= segments; i++) {
        const offset = view.getUint32(i * 4, true);
        if ((i === 1 && offset !== 64) || offset <= previous || offset >= frame.length) {
          fail('RLE frame (its segment offsets do not fit)');
        }
        previous = offset;
      }
      return;
    }
    case 'native':
      return;
  }
}
