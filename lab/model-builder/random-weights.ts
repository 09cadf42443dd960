/**
 * Seeded random GPT-2 weights (lab and test support): a deterministic PRNG, normal samples, and
 * weights in the layout of src/demo/gpt2-weights.ts.
 */
import { gpt2WeightShapes, validateGpt2Config, type Gpt2Config, type Gpt2LayerWeights, type Gpt2Weights } from '../../src/demo/gpt2-weights';

const elementCount = (shape: readonly number[]): number => shape.reduce((product, size) => product * size, 1);

/**
 * mulberry32: a tiny, fast 32-bit PRNG. Deterministic across JS engines because it only uses
 * 32-bit integer arithmetic (Math.imul, shifts) before the final division.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples via Box–Muller on top of a uniform generator. */
export function normalSampler(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    const u1 = 1 - uniform(); // (0, 1]: log stays finite
    const u2 = uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    spare = radius * Math.sin(2 * Math.PI * u2);
    return radius * Math.cos(2 * Math.PI * u2);
  };
}

/**
 * Seeded random weights for tests. Every parameter is non-trivial (biases and LayerNorm
 * offsets are non-zero, LayerNorm scales are near 1) so that a graph that drops or misplaces any
 * of them produces visibly different logits:
 * - embeddings ~ N(0, 1), matrices ~ N(0, 1/fan_in), biases and LN offsets ~ N(0, 0.1²),
 *   LN scales ~ 1 + N(0, 0.1²).
 * Tensors are drawn in a fixed order (embeddings, then each layer in field order, then the final LN),
 * so the same config and seed always give bit-identical weights.
 */
export function randomGpt2Weights(config: Gpt2Config, seed: number): Gpt2Weights {
  validateGpt2Config(config);
  const normal = normalSampler(mulberry32(seed));
  const shapes = gpt2WeightShapes(config);
  const sample = (shape: readonly number[], mean: number, std: number): Float32Array => {
    const values = new Float32Array(elementCount(shape));
    for (let index = 0; index < values.length; index++) values[index] = mean + std * normal();
    return values;
  };
  const matrix = (shape: readonly number[]) => sample(shape, 0, 1 / Math.sqrt(shape[0]));
  const offset = (shape: readonly number[]) => sample(shape, 0, 0.1);
  const scale = (shape: readonly number[]) => sample(shape, 1, 0.1);

  const tokenEmbedding = sample(shapes.model.tokenEmbedding, 0, 1);
  const positionEmbedding = sample(shapes.model.positionEmbedding, 0, 1);
  const layers: Gpt2LayerWeights[] = [];
  for (let layerIndex = 0; layerIndex < config.layerCount; layerIndex++) {
    const s = shapes.layer;
    layers.push({
      ln1Scale: scale(s.ln1Scale),
      ln1Bias: offset(s.ln1Bias),
      attnQkvWeight: matrix(s.attnQkvWeight),
      attnQkvBias: offset(s.attnQkvBias),
      attnOutWeight: matrix(s.attnOutWeight),
      attnOutBias: offset(s.attnOutBias),
      ln2Scale: scale(s.ln2Scale),
      ln2Bias: offset(s.ln2Bias),
      mlpInWeight: matrix(s.mlpInWeight),
      mlpInBias: offset(s.mlpInBias),
      mlpOutWeight: matrix(s.mlpOutWeight),
      mlpOutBias: offset(s.mlpOutBias),
    });
  }
  return {
    tokenEmbedding,
    positionEmbedding,
    layers,
    finalNormScale: scale(shapes.model.finalNormScale),
    finalNormBias: offset(shapes.model.finalNormBias),
  };
}
