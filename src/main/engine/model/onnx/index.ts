export { buildTextModel, buildTextFromEmbeddingsModel } from './text-graph';
export { buildVisionModel } from './vision-graph';
export { onnxIrVersion, onnxOpset } from './graph';
