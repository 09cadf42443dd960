/**
 * Seeded random weights for a Llama-shape model, drawn tensor by tensor: each tensor has its own
 * stream (seed and name hashed), so a 0.5 B model never holds all its float weights at once and
 * the graph writer and a reference computation get bit-identical tensors in any order.
 */
import { llamaWeightShapes, validateLlamaShapeConfig, type LlamaShapeConfig } from './llama-shape';
import { mulberry32, normalSampler } from './random-weights';

export interface LlamaWeights {
  readonly config: LlamaShapeConfig;
  readonly seed: number;
  /** The named tensor (see llamaWeightShapes), drawn afresh on every call. */
  tensor(name: string): Float32Array;
  shapeOf(name: string): readonly number[];
}

/** FNV-1a over UTF-16 code units: a stable 32-bit stream id per (seed, tensor name). */
function streamSeed(seed: number, name: string): number {
  let hash = 0x811c9dc5 ^ (seed >>> 0);
  for (let index = 0; index < name.length; index++) {
    hash ^= name.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * - token embedding ~ N(0, (2/√d)²): with RMS-normed hidden states the tied head's logits have a
 *   standard deviation near 2 (log-probs spread out, not uniform, not degenerate);
 * - linear weights `[out, in]` ~ N(0, 1/in);
 * - RMSNorm weights ~ 1 + N(0, 0.1²), so a graph that drops or misplaces one changes the logits.
 */
export function randomLlamaWeights(config: LlamaShapeConfig, seed: number): LlamaWeights {
  validateLlamaShapeConfig(config);
  const shapes = llamaWeightShapes(config);
  const shapeOf = (name: string): readonly number[] => {
    const shape = shapes.get(name);
    if (!shape) throw new Error(`Llama-shape weights: no tensor named ${name}`);
    return shape;
  };
  return {
    config,
    seed,
    shapeOf,
    tensor(name) {
      const shape = shapeOf(name);
      const normal = normalSampler(mulberry32(streamSeed(seed, name)));
      const values = new Float32Array(shape.reduce((product, size) => product * size, 1));
      const [mean, std] =
        name === 'embed_tokens' ? [0, 2 / Math.sqrt(config.hiddenSize)] : shape.length === 1 ? [1, 0.1] : [0, 1 / Math.sqrt(shape[1])];
      for (let index = 0; index < values.length; index++) values[index] = mean + std * normal();
      return values;
    },
  };
}
