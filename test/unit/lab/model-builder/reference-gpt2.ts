/**
 * An independent GPT-2 forward pass in plain float64 loops, written from the model's definition rather than
 * from the ONNX graph, to check the builder's graphs against.
 */
import type { Gpt2Config, Gpt2LayerWeights, Gpt2Weights } from '../../../../lab/model-builder';
import {
  dequantizeFourBitBlocks,
  dequantizeInt8PerChannel,
  quantizeFourBitBlocks,
  quantizeInt8PerChannel,
  type Gpt2WeightFormat,
} from '../../../../lab/model-builder';
import { float16BitsToNumber, float32ToFloat16Bits } from '../../../../src/core/onnx';

/** Layer normalization in float64: (x − mean) / √(variance + ε) · scale + bias. */
export function layerNorm(x: Float64Array, scale: Float32Array, bias: Float32Array, epsilon: number): Float64Array {
  let mean = 0;
  for (const value of x) mean += value;
  mean /= x.length;
  let variance = 0;
  for (const value of x) variance += (value - mean) ** 2;
  variance /= x.length;
  const inverseStd = 1 / Math.sqrt(variance + epsilon);
  return x.map((value, index) => (value - mean) * inverseStd * scale[index] + bias[index]);
}

/** y = x · W + b for a row-major [x.length, outDim] weight. */
function affine(x: Float64Array, weight: Float32Array, bias: Float32Array, outDim: number): Float64Array {
  const y = Float64Array.from(bias);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const row = i * outDim;
    for (let j = 0; j < outDim; j++) y[j] += xi * weight[row + j];
  }
  return y;
}

const geluTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

/**
 * Logits for each position of one unpadded sequence. `positions` defaults to 0, 1, 2, …
 * Returns one Float64Array of vocabSize logits per token.
 */
export function referenceGpt2Logits(
  config: Gpt2Config,
  weights: Gpt2Weights,
  tokenIds: readonly number[],
  positions: readonly number[] = tokenIds.map((_, index) => index),
): Float64Array[] {
  const d = config.embeddingDim;
  const heads = config.headCount;
  const headDim = d / heads;
  const mlpDim = config.mlpDim ?? 4 * d;
  const epsilon = config.layerNormEpsilon ?? 1e-5;
  const length = tokenIds.length;

  let hidden: Float64Array[] = tokenIds.map((token, t) => {
    const vector = new Float64Array(d);
    for (let i = 0; i < d; i++) vector[i] = weights.tokenEmbedding[token * d + i] + weights.positionEmbedding[positions[t] * d + i];
    return vector;
  });

  const block = (layer: Gpt2LayerWeights) => {
    const qkv = hidden.map((x) => affine(layerNorm(x, layer.ln1Scale, layer.ln1Bias, epsilon), layer.attnQkvWeight, layer.attnQkvBias, 3 * d));
    const context = hidden.map(() => new Float64Array(d));
    for (let h = 0; h < heads; h++) {
      const offset = h * headDim;
      for (let t = 0; t < length; t++) {
        const scores = new Float64Array(t + 1);
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let i = 0; i < headDim; i++) dot += qkv[t][offset + i] * qkv[s][d + offset + i];
          scores[s] = dot / Math.sqrt(headDim);
        }
        const max = Math.max(...scores);
        const exps = scores.map((score) => Math.exp(score - max));
        const total = exps.reduce((sum, value) => sum + value, 0);
        for (let s = 0; s <= t; s++) {
          const weight = exps[s] / total;
          for (let i = 0; i < headDim; i++) context[t][offset + i] += weight * qkv[s][2 * d + offset + i];
        }
      }
    }
    hidden = hidden.map((x, t) => {
      const attended = affine(context[t], layer.attnOutWeight, layer.attnOutBias, d);
      const afterAttention = x.map((value, i) => value + attended[i]);
      const expanded = affine(layerNorm(afterAttention, layer.ln2Scale, layer.ln2Bias, epsilon), layer.mlpInWeight, layer.mlpInBias, mlpDim).map(geluTanh);
      const projected = affine(expanded, layer.mlpOutWeight, layer.mlpOutBias, d);
      return afterAttention.map((value, i) => value + projected[i]);
    });
  };
  for (const layer of weights.layers) block(layer);

  return hidden.map((x) => {
    const normed = layerNorm(x, weights.finalNormScale, weights.finalNormBias, epsilon);
    const logits = new Float64Array(config.vocabSize);
    for (let v = 0; v < config.vocabSize; v++) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += normed[i] * weights.tokenEmbedding[v * d + i];
      logits[v] = dot;
    }
    return logits;
  });
}

/** Greedy continuation with the reference model, stopping after `maxNewTokens` or at `eosTokenId`. */
export function referenceGreedyTokens(
  config: Gpt2Config,
  weights: Gpt2Weights,
  prompt: readonly number[],
  maxNewTokens: number,
  eosTokenId: number,
): number[] {
  const tokens = [...prompt];
  for (let step = 0; step < maxNewTokens; step++) {
    const logits = referenceGpt2Logits(config, weights, tokens).at(-1)!;
    let best = 0;
    for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
    tokens.push(best);
    if (best === eosTokenId) break;
  }
  return tokens;
}

export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += Math.exp(logits[i] - max);
  const logTotal = max + Math.log(total);
  return Float64Array.from({ length: logits.length }, (_, i) => logits[i] - logTotal);
}

const transpose = (matrix: Float32Array, rows: number, cols: number): Float32Array => {
  const result = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) result[c * rows + r] = matrix[r * cols + c];
  return result;
};

/**
 * The weights each stored form actually computes with (quantize → dequantize, or fp16 rounding),
 * following the storage rules documented on Gpt2WeightFormat. Vectors (biases, LayerNorm) stay exact.
 */
export function effectiveWeights(config: Gpt2Config, weights: Gpt2Weights, format: Gpt2WeightFormat): Gpt2Weights {
  const d = config.embeddingDim;
  const mlpDim = config.mlpDim ?? 4 * d;
  const fp16 = (values: Float32Array) => values.map((value) => float16BitsToNumber(float32ToFloat16Bits(value)));
  const int8Rows = (values: Float32Array, rows: number) => dequantizeInt8PerChannel(quantizeInt8PerChannel(values, rows, d, 0), rows, d);
  const linear = (values: Float32Array, inDim: number, outDim: number): Float32Array => {
    switch (format) {
      case 'fp32':
        return values;
      case 'fp16':
        return fp16(values);
      case 'q8':
        return dequantizeInt8PerChannel(quantizeInt8PerChannel(values, inDim, outDim, 1), inDim, outDim);
      case 'q4':
        return transpose(dequantizeFourBitBlocks(quantizeFourBitBlocks(transpose(values, inDim, outDim), outDim, inDim)), outDim, inDim);
    }
  };
  const embedding = (values: Float32Array, rows: number, isTokenTable: boolean): Float32Array => {
    switch (format) {
      case 'fp32':
        return values;
      case 'fp16':
        return fp16(values);
      case 'q8':
        return int8Rows(values, rows);
      case 'q4':
        return isTokenTable ? dequantizeFourBitBlocks(quantizeFourBitBlocks(values, rows, d)) : int8Rows(values, rows);
    }
  };
  return {
    tokenEmbedding: embedding(weights.tokenEmbedding, config.vocabSize, true),
    positionEmbedding: embedding(weights.positionEmbedding, config.contextLength, false),
    finalNormScale: weights.finalNormScale,
    finalNormBias: weights.finalNormBias,
    layers: weights.layers.map((layer) => ({
      ...layer,
      attnQkvWeight: linear(layer.attnQkvWeight, d, 3 * d),
      attnOutWeight: linear(layer.attnOutWeight, d, d),
      mlpInWeight: linear(layer.mlpInWeight, d, mlpDim),
      mlpOutWeight: linear(layer.mlpOutWeight, mlpDim, d),
    })),
  };
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
