/** Weight utilities for demo training: seeded initialisation, copies, flat views and Adam. */
import { gpt2WeightShapes, type Gpt2Config, type Gpt2LayerWeights, type Gpt2Weights } from '../../src/demo/gpt2-weights';
import { normalFrom, seededUniform } from '../../src/demo/random';

/** Every tensor of the weights, in a fixed order (embeddings, each layer's fields, final norm). */
export function tensorsOf(weights: Gpt2Weights): Float32Array[] {
  return [
    weights.tokenEmbedding,
    weights.positionEmbedding,
    ...weights.layers.flatMap((layer) => (Object.keys(layer) as (keyof Gpt2LayerWeights)[]).sort().map((field) => layer[field])),
    weights.finalNormScale,
    weights.finalNormBias,
  ];
}

export function cloneWeights(weights: Gpt2Weights): Gpt2Weights {
  return {
    tokenEmbedding: weights.tokenEmbedding.slice(),
    positionEmbedding: weights.positionEmbedding.slice(),
    layers: weights.layers.map((layer) => {
      const copy = {} as Gpt2LayerWeights;
      for (const field of Object.keys(layer) as (keyof Gpt2LayerWeights)[]) copy[field] = layer[field].slice();
      return copy;
    }),
    finalNormScale: weights.finalNormScale.slice(),
    finalNormBias: weights.finalNormBias.slice(),
  };
}

/**
 * GPT-2's initialisation: matrices and embeddings ~ N(0, 0.02²), the two residual output projections
 * scaled by 1/√(2·layers), biases 0, LayerNorm scales 1.
 */
export function initialWeights(config: Gpt2Config, seed: number): Gpt2Weights {
  const normal = normalFrom(seededUniform(seed));
  const shapes = gpt2WeightShapes(config);
  const size = (shape: readonly number[]) => shape.reduce((product, dim) => product * dim, 1);
  const gaussian = (shape: readonly number[], std: number) => Float32Array.from({ length: size(shape) }, () => std * normal());
  const residualStd = 0.02 / Math.sqrt(2 * config.layerCount);
  return {
    tokenEmbedding: gaussian(shapes.model.tokenEmbedding, 0.02),
    positionEmbedding: gaussian(shapes.model.positionEmbedding, 0.02),
    layers: Array.from({ length: config.layerCount }, () => ({
      ln1Scale: new Float32Array(size(shapes.layer.ln1Scale)).fill(1),
      ln1Bias: new Float32Array(size(shapes.layer.ln1Bias)),
      attnQkvWeight: gaussian(shapes.layer.attnQkvWeight, 0.02),
      attnQkvBias: new Float32Array(size(shapes.layer.attnQkvBias)),
      attnOutWeight: gaussian(shapes.layer.attnOutWeight, residualStd),
      attnOutBias: new Float32Array(size(shapes.layer.attnOutBias)),
      ln2Scale: new Float32Array(size(shapes.layer.ln2Scale)).fill(1),
      ln2Bias: new Float32Array(size(shapes.layer.ln2Bias)),
      mlpInWeight: gaussian(shapes.layer.mlpInWeight, 0.02),
      mlpInBias: new Float32Array(size(shapes.layer.mlpInBias)),
      mlpOutWeight: gaussian(shapes.layer.mlpOutWeight, residualStd),
      mlpOutBias: new Float32Array(size(shapes.layer.mlpOutBias)),
    })),
    finalNormScale: new Float32Array(config.embeddingDim).fill(1),
    finalNormBias: new Float32Array(config.embeddingDim),
  };
}

/** Adam (no weight decay) updating the weights in place, with global-norm gradient clipping. */
export class Adam {
  private readonly firstMoments: Float32Array[];
  private readonly secondMoments: Float32Array[];
  private stepCount = 0;

  constructor(
    private readonly weights: Gpt2Weights,
    private readonly options: { beta1: number; beta2: number; epsilon: number; clipNorm: number },
  ) {
    this.firstMoments = tensorsOf(weights).map((tensor) => new Float32Array(tensor.length));
    this.secondMoments = tensorsOf(weights).map((tensor) => new Float32Array(tensor.length));
  }

  /** Applies one update; returns the gradient's global norm before clipping. */
  step(gradient: Gpt2Weights, learningRate: number): number {
    const { beta1, beta2, epsilon, clipNorm } = this.options;
    const parameters = tensorsOf(this.weights);
    const gradients = tensorsOf(gradient);
    let squaredNorm = 0;
    for (const tensor of gradients) for (let i = 0; i < tensor.length; i++) squaredNorm += tensor[i] * tensor[i];
    const norm = Math.sqrt(squaredNorm);
    const clip = norm > clipNorm ? clipNorm / norm : 1;
    this.stepCount++;
    const correction1 = 1 - beta1 ** this.stepCount;
    const correction2 = 1 - beta2 ** this.stepCount;
    parameters.forEach((parameter, tensorIndex) => {
      const g = gradients[tensorIndex];
      const m = this.firstMoments[tensorIndex];
      const v = this.secondMoments[tensorIndex];
      for (let i = 0; i < parameter.length; i++) {
        const grad = g[i] * clip;
        m[i] = beta1 * m[i] + (1 - beta1) * grad;
        v[i] = beta2 * v[i] + (1 - beta2) * grad * grad;
        parameter[i] -= (learningRate * (m[i] / correction1)) / (Math.sqrt(v[i] / correction2) + epsilon);
      }
    });
    return norm;
  }
}
