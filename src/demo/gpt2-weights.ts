/**
 * GPT-2 hyper-parameters and the weight layout: what the ONNX builder (lab/model-builder) consumes and
 * the demo's forward pass (gpt2-inference.ts) and ONNX reader (onnx-weights.ts) use.
 *
 * Layout conventions (all Float32Array, row-major):
 * - Linear layers use Hugging Face GPT-2's `Conv1D` layout `[in, out]`: `y = x · W + b`.
 * - `attnQkvWeight` columns are `[q | k | v]`, each `embeddingDim` wide with heads contiguous
 *   (head h owns columns h·headDim … (h+1)·headDim − 1 inside each part), as in HF `c_attn`.
 * - `tokenEmbedding` `[vocabSize, embeddingDim]` is also the LM head (tied): `logits = h · tokenEmbeddingᵀ`.
 *
 * Mapping to HF GPT-2 state-dict names: tokenEmbedding = wte, positionEmbedding = wpe,
 * layers[i].ln1* = h.i.ln_1, attnQkv* = h.i.attn.c_attn, attnOut* = h.i.attn.c_proj, ln2* = h.i.ln_2,
 * mlpIn* = h.i.mlp.c_fc, mlpOut* = h.i.mlp.c_proj, finalNorm* = ln_f.
 */

export interface Gpt2Config {
  vocabSize: number;
  /** Maximum positions (HF `n_positions`): rows of the position embedding. */
  contextLength: number;
  /** HF `n_embd`. */
  embeddingDim: number;
  /** HF `n_layer`. */
  layerCount: number;
  /** HF `n_head`; must divide `embeddingDim`. */
  headCount: number;
  /** HF `n_inner`; GPT-2 uses 4 × embeddingDim when absent. */
  mlpDim?: number;
  /** HF `layer_norm_epsilon`; 1e-5 when absent. */
  layerNormEpsilon?: number;
}

export interface Gpt2LayerWeights {
  ln1Scale: Float32Array; // [d]
  ln1Bias: Float32Array; // [d]
  attnQkvWeight: Float32Array; // [d, 3d]
  attnQkvBias: Float32Array; // [3d]
  attnOutWeight: Float32Array; // [d, d]
  attnOutBias: Float32Array; // [d]
  ln2Scale: Float32Array; // [d]
  ln2Bias: Float32Array; // [d]
  mlpInWeight: Float32Array; // [d, m]
  mlpInBias: Float32Array; // [m]
  mlpOutWeight: Float32Array; // [m, d]
  mlpOutBias: Float32Array; // [d]
}

export interface Gpt2Weights {
  tokenEmbedding: Float32Array; // [vocabSize, d]
  positionEmbedding: Float32Array; // [contextLength, d]
  layers: Gpt2LayerWeights[];
  finalNormScale: Float32Array; // [d]
  finalNormBias: Float32Array; // [d]
}

export const DEFAULT_LAYER_NORM_EPSILON = 1e-5;

export function mlpDimOf(config: Gpt2Config): number {
  return config.mlpDim ?? 4 * config.embeddingDim;
}

export function headDimOf(config: Gpt2Config): number {
  return config.embeddingDim / config.headCount;
}

export function layerNormEpsilonOf(config: Gpt2Config): number {
  return config.layerNormEpsilon ?? DEFAULT_LAYER_NORM_EPSILON;
}

export function validateGpt2Config(config: Gpt2Config): void {
  const positiveIntegers: Array<[string, number]> = [
    ['vocabSize', config.vocabSize],
    ['contextLength', config.contextLength],
    ['embeddingDim', config.embeddingDim],
    ['layerCount', config.layerCount],
    ['headCount', config.headCount],
    ['mlpDim', mlpDimOf(config)],
  ];
  for (const [name, value] of positiveIntegers) {
    if (!Number.isInteger(value) || value <= 0) throw new Error(`GPT-2 config: ${name} must be a positive integer, got ${value}`);
  }
  if (config.embeddingDim % config.headCount !== 0) {
    throw new Error(`GPT-2 config: headCount ${config.headCount} does not divide embeddingDim ${config.embeddingDim}`);
  }
  if (!(layerNormEpsilonOf(config) > 0)) throw new Error('GPT-2 config: layerNormEpsilon must be positive');
}

/** Expected element count of every weight tensor, keyed by the field name. */
export function gpt2WeightShapes(config: Gpt2Config): {
  model: Record<Exclude<keyof Gpt2Weights, 'layers'>, readonly number[]>;
  layer: Record<keyof Gpt2LayerWeights, readonly number[]>;
} {
  const d = config.embeddingDim;
  const m = mlpDimOf(config);
  return {
    model: {
      tokenEmbedding: [config.vocabSize, d],
      positionEmbedding: [config.contextLength, d],
      finalNormScale: [d],
      finalNormBias: [d],
    },
    layer: {
      ln1Scale: [d],
      ln1Bias: [d],
      attnQkvWeight: [d, 3 * d],
      attnQkvBias: [3 * d],
      attnOutWeight: [d, d],
      attnOutBias: [d],
      ln2Scale: [d],
      ln2Bias: [d],
      mlpInWeight: [d, m],
      mlpInBias: [m],
      mlpOutWeight: [m, d],
      mlpOutBias: [d],
    },
  };
}

const elementCount = (shape: readonly number[]): number => shape.reduce((product, size) => product * size, 1);

/** Throws with the offending tensor's name when a weight array has the wrong length. */
export function validateGpt2Weights(config: Gpt2Config, weights: Gpt2Weights): void {
  validateGpt2Config(config);
  const shapes = gpt2WeightShapes(config);
  for (const [name, shape] of Object.entries(shapes.model) as Array<[Exclude<keyof Gpt2Weights, 'layers'>, readonly number[]]>) {
    const actual = weights[name]?.length;
    if (actual !== elementCount(shape)) throw new Error(`GPT-2 weights: ${name} has ${actual} values, expected [${shape.join(', ')}]`);
  }
  if (weights.layers.length !== config.layerCount) {
    throw new Error(`GPT-2 weights: ${weights.layers.length} layers, config says ${config.layerCount}`);
  }
  weights.layers.forEach((layer, layerIndex) => {
    for (const [name, shape] of Object.entries(shapes.layer) as Array<[keyof Gpt2LayerWeights, readonly number[]]>) {
      const actual = layer[name]?.length;
      if (actual !== elementCount(shape)) {
        throw new Error(`GPT-2 weights: layers[${layerIndex}].${name} has ${actual} values, expected [${shape.join(', ')}]`);
      }
    }
  });
}
