/**
 * A plain TypeScript GPT-2 forward pass with a KV cache, for the demo's small models: sampling
 * episodes during RL training, the exact solver's reference log-probs, and the check that the
 * exported ONNX graph computes the same function.
 *
 * It is the model builder's graph (lab/model-builder) written out as loops, in float64 arithmetic on the float32
 * weights: token + position embedding, pre-LN blocks (causal attention, GELU-tanh MLP), final
 * LayerNorm, logits = h · tokenEmbeddingᵀ (tied head).
 */
import { headDimOf, layerNormEpsilonOf, mlpDimOf, validateGpt2Weights, type Gpt2Config, type Gpt2Weights } from './gpt2-weights';

const GELU_SCALE = Math.sqrt(2 / Math.PI);

/** `out = x · W + bias` for W `[inDim, outDim]` row-major. */
function affine(x: Float64Array, weight: Float32Array, bias: Float32Array, out: Float64Array): void {
  const outDim = out.length;
  for (let j = 0; j < outDim; j++) out[j] = bias[j];
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const row = i * outDim;
    for (let j = 0; j < outDim; j++) out[j] += xi * weight[row + j];
  }
}

function layerNorm(x: Float64Array, scale: Float32Array, bias: Float32Array, epsilon: number, out: Float64Array): void {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (x[i] - mean) ** 2;
  variance /= n;
  const inverse = 1 / Math.sqrt(variance + epsilon);
  for (let i = 0; i < n; i++) out[i] = (x[i] - mean) * inverse * scale[i] + bias[i];
}

/** log-softmax of a logits row. */
export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const logSum = max + Math.log(sum);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - logSum;
  return out;
}

/**
 * One sequence being decoded: the keys and values of every fed position, and the log-probs each
 * position predicts for the next token. Truncating keeps a shared prefix, so scoring many
 * continuations of one history costs only their new tokens.
 */
export class Gpt2Sequence {
  readonly tokens: number[] = [];
  private readonly keys: Float64Array[];
  private readonly values: Float64Array[];
  /** nextLogProbs[i]: log p(· | tokens[0..i]). */
  private readonly nextLogProbs: Float64Array[] = [];

  constructor(private readonly model: Gpt2Model) {
    const size = model.config.contextLength * model.config.embeddingDim;
    this.keys = Array.from({ length: model.config.layerCount }, () => new Float64Array(size));
    this.values = Array.from({ length: model.config.layerCount }, () => new Float64Array(size));
  }

  get length(): number {
    return this.tokens.length;
  }

  /** Forgets every position from `length` on. */
  truncate(length: number): void {
    if (length < 0 || length > this.tokens.length) throw new Error(`Gpt2Sequence.truncate: ${length} is outside 0…${this.tokens.length}`);
    this.tokens.length = length;
    this.nextLogProbs.length = length;
  }

  /** Feeds one token; returns the log-probs of the token after it. */
  push(tokenId: number): Float64Array {
    const logProbs = this.model.forwardPosition(tokenId, this.tokens.length, this.keys, this.values);
    this.tokens.push(tokenId);
    this.nextLogProbs.push(logProbs);
    return logProbs;
  }

  /** log p(· | tokens[0..position]). */
  logProbsAfter(position: number): Float64Array {
    const row = this.nextLogProbs[position];
    if (!row) throw new Error(`Gpt2Sequence.logProbsAfter: position ${position} has not been fed`);
    return row;
  }

  /**
   * Makes the sequence equal `ids`, keeping the longest common prefix with what was fed before, and
   * returns log p(ids[t] | ids[<t]) for t from `from` (≥ 1) to the end.
   */
  scoreTokens(ids: readonly number[], from: number): number[] {
    if (from < 1) throw new Error('Gpt2Sequence.scoreTokens: the first token has no prediction (from must be ≥ 1)');
    let common = 0;
    while (common < this.tokens.length && common < ids.length && this.tokens[common] === ids[common]) common++;
    this.truncate(common);
    for (let index = common; index < ids.length; index++) this.push(ids[index]);
    const scores: number[] = [];
    for (let t = from; t < ids.length; t++) scores.push(this.nextLogProbs[t - 1][ids[t]]);
    return scores;
  }
}

export class Gpt2Model {
  private readonly headDim: number;
  private readonly mlpDim: number;
  private readonly epsilon: number;
  // Scratch buffers reused by every position.
  private readonly hidden: Float64Array;
  private readonly normed: Float64Array;
  private readonly qkv: Float64Array;
  private readonly context: Float64Array;
  private readonly projected: Float64Array;
  private readonly expanded: Float64Array;
  private readonly scores: Float64Array;
  private readonly logits: Float64Array;

  constructor(
    readonly config: Gpt2Config,
    readonly weights: Gpt2Weights,
  ) {
    validateGpt2Weights(config, weights);
    const d = config.embeddingDim;
    this.headDim = headDimOf(config);
    this.mlpDim = mlpDimOf(config);
    this.epsilon = layerNormEpsilonOf(config);
    this.hidden = new Float64Array(d);
    this.normed = new Float64Array(d);
    this.qkv = new Float64Array(3 * d);
    this.context = new Float64Array(d);
    this.projected = new Float64Array(d);
    this.expanded = new Float64Array(this.mlpDim);
    this.scores = new Float64Array(config.contextLength);
    this.logits = new Float64Array(config.vocabSize);
  }

  newSequence(): Gpt2Sequence {
    return new Gpt2Sequence(this);
  }

  /** Log-probs of tokens[t] given tokens[<t], for t = 1 … length − 1. */
  sequenceLogProbs(tokens: readonly number[]): number[] {
    return this.newSequence().scoreTokens(tokens, 1);
  }

  /** The forward pass of one position, writing its key and value into the caches. */
  forwardPosition(tokenId: number, position: number, keys: Float64Array[], values: Float64Array[]): Float64Array {
    const { config, weights, headDim } = this;
    const d = config.embeddingDim;
    if (!(tokenId >= 0 && tokenId < config.vocabSize)) throw new Error(`Token id ${tokenId} is outside the vocabulary (${config.vocabSize})`);
    if (position >= config.contextLength) throw new Error(`Position ${position} is past the model's context of ${config.contextLength}`);
    const { hidden, normed, qkv, context, projected, expanded, scores } = this;
    for (let i = 0; i < d; i++) hidden[i] = weights.tokenEmbedding[tokenId * d + i] + weights.positionEmbedding[position * d + i];
    const scale = 1 / Math.sqrt(headDim);

    weights.layers.forEach((layer, layerIndex) => {
      layerNorm(hidden, layer.ln1Scale, layer.ln1Bias, this.epsilon, normed);
      affine(normed, layer.attnQkvWeight, layer.attnQkvBias, qkv);
      const layerKeys = keys[layerIndex];
      const layerValues = values[layerIndex];
      for (let i = 0; i < d; i++) {
        layerKeys[position * d + i] = qkv[d + i];
        layerValues[position * d + i] = qkv[2 * d + i];
      }
      for (let head = 0; head < config.headCount; head++) {
        const offset = head * headDim;
        let max = -Infinity;
        for (let j = 0; j <= position; j++) {
          let dot = 0;
          for (let k = 0; k < headDim; k++) dot += qkv[offset + k] * layerKeys[j * d + offset + k];
          scores[j] = dot * scale;
          if (scores[j] > max) max = scores[j];
        }
        let sum = 0;
        for (let j = 0; j <= position; j++) {
          scores[j] = Math.exp(scores[j] - max);
          sum += scores[j];
        }
        for (let k = 0; k < headDim; k++) context[offset + k] = 0;
        for (let j = 0; j <= position; j++) {
          const weight = scores[j] / sum;
          for (let k = 0; k < headDim; k++) context[offset + k] += weight * layerValues[j * d + offset + k];
        }
      }
      affine(context, layer.attnOutWeight, layer.attnOutBias, projected);
      for (let i = 0; i < d; i++) hidden[i] += projected[i];

      layerNorm(hidden, layer.ln2Scale, layer.ln2Bias, this.epsilon, normed);
      affine(normed, layer.mlpInWeight, layer.mlpInBias, expanded);
      for (let i = 0; i < expanded.length; i++) {
        const x = expanded[i];
        expanded[i] = 0.5 * x * (1 + Math.tanh(GELU_SCALE * (x + 0.044715 * x * x * x)));
      }
      affine(expanded, layer.mlpOutWeight, layer.mlpOutBias, projected);
      for (let i = 0; i < d; i++) hidden[i] += projected[i];
    });

    layerNorm(hidden, weights.finalNormScale, weights.finalNormBias, this.epsilon, normed);
    const logits = this.logits;
    for (let v = 0; v < config.vocabSize; v++) {
      let dot = 0;
      const row = v * d;
      for (let i = 0; i < d; i++) dot += normed[i] * weights.tokenEmbedding[row + i];
      logits[v] = dot;
    }
    return logSoftmax(logits);
  }
}
