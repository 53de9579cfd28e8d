/**
 * The decoder thread's script (CommonJS, run with `new Worker(source, { eval: true })`, so no bundler entry is needed):
 * loads dcmjs-codecs and its WebAssembly from the absolute paths it is given, then decodes one frame per message and
 * answers with the decoded bytes (copied out of the WebAssembly memory) or the error's message.
 */
export const CODEC_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const codecs = require(workerData.modulePath);
codecs.log.setLevel('silent');
const ready = codecs.NativeCodecs.initializeAsync({ webAssemblyModulePathOrUrl: workerData.wasmPath });
const n = codecs.NativeCodecs;
const decoders = {
  rle: (c) => n.decodeRle(c),
  jpeg: (c, p) => n.decodeJpeg(c, p),
  'jpeg-ls': (c) => n.decodeJpegLs(c),
  jpeg2000: (c) => n.decodeJpeg2000(c),
  htj2k: (c) => n.decodeHtJpeg2000(c),
  'jpeg-xl': (c) => n.decodeJpegXl(c),
};
parentPort.on('message', async (job) => {
  try {
    await ready;
    const decoded = decoders[job.encoding](new codecs.Context(job.context), job.params).getDecodedBuffer();
    const copy = decoded ? Uint8Array.from(decoded) : new Uint8Array(0);
    parentPort.postMessage({ id: job.id, decoded: copy }, [copy.buffer]);
  } catch (err) {
    const message = err && err.message ? err.message : String(err);
    parentPort.postMessage({ id: job.id, error: message });
  }
});
`;
