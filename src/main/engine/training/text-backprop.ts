/**
 * The frozen text tower as a CoP training step needs it, split in two so that another engine than tfjs can run it:
 * `forward` gives the prompt features and keeps a tape, `backward` turns the loss gradient with respect to those
 * features into the gradient with respect to the input embeddings (a vector-Jacobian product). tfjs then owns the
 * prompt, MeP, the loss and the optimizer; only the context's gradient comes back from here.
 */

/** The names a user can choose: a fixed engine, or 'auto' (the faster of the two on this machine). */
export const textBackendChoices = ['auto', 'onnx-vjp', 'tfjs'] as const;
export type TextBackendChoice = (typeof textBackendChoices)[number];
export type TextBackendName = Exclude<TextBackendChoice, 'auto'>;

/** Prompt token embeddings with the context in place: `[n, length, W]` row-major, read out at `eotIndex`. */
export interface PromptInput {
  embeds: Float32Array;
  n: number;
  length: number;
  eotIndex: readonly number[];
}

/** What the backward pass reads; valid until released or until the engine is disposed. */
export interface TextTape {
  release(): void;
}

export interface TextForward {
  /** `[n, E]` unnormalised features. */
  features: Float32Array;
  tape: TextTape;
}

export interface TextBackprop {
  readonly name: TextBackendName;
  /** Where it runs, for logs and the benchmark (e.g. "onnxruntime cpu, 2 threads", "tfjs wasm"). */
  readonly device: string;
  forward(input: PromptInput): Promise<TextForward>;
  /** `[n, length, W]`: the gradient of `Σ dFeatures ⊙ features` with respect to the input embeddings. */
  backward(tape: TextTape, dFeatures: Float32Array): Promise<Float32Array>;
  dispose(): Promise<void>;
}
