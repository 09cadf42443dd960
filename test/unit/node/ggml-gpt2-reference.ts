/**
 * A float64 GPT-2 forward pass (one whole sequence, no cache) whose GELU is chosen by the caller:
 * the exact GELU-tanh (what the ONNX graph computes) or ggml's CPU GELU, which rounds its input to
 * fp16 and reads an fp16 table (`GGML_GELU_FP16` in ggml-cpu/vec.h, `ggml_vec_gelu_f32`). With the
 * latter it is an independent computation of what llama.cpp's CPU backend computes from a GGUF.
 */
import { headDimOf, layerNormEpsilonOf, mlpDimOf, type Gpt2Config, type Gpt2Weights } from '../../../src/demo/gpt2-weights';
import { layerNorm } from '../lab/model-builder/reference-gpt2';

const GELU_SCALE = Math.sqrt(2 / Math.PI);

export const exactGelu = (x: number): number => 0.5 * x * (1 + Math.tanh(GELU_SCALE * x * (1 + 0.044715 * x * x)));

/** IEEE binary16 round-to-nearest-even of a float (what F16C's vcvtps2ph with rounding mode 0 gives), as a number. */
export function roundToFp16(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const sign = value < 0 ? -1 : 1;
  const magnitude = Math.abs(value);
  if (magnitude >= 65520) return sign * Infinity;
  // Spacing of fp16 values around `magnitude`: 2^(exponent − 10), subnormals below 2^−14 spaced 2^−24.
  const exponent = Math.max(Math.floor(Math.log2(magnitude)), -14);
  const spacing = 2 ** (exponent - 10);
  const scaled = magnitude / spacing;
  const floor = Math.floor(scaled);
  const remainder = scaled - floor;
  const rounded = remainder > 0.5 || (remainder === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
  return sign * rounded * spacing;
}

/** ggml's CPU GELU: 0 at or below −10, x at or above 10, else fp16(gelu_f32(fp16(x))). */
export function ggmlCpuGelu(x: number): number {
  if (x <= -10) return 0;
  if (x >= 10) return x;
  const input = Math.fround(roundToFp16(x));
  return roundToFp16(Math.fround(exactGelu(input)));
}

/** y = x · W + b for a Conv1D weight [in, out]. */
function affine(x: Float64Array, weight: Float32Array, bias: Float32Array): Float64Array {
  const out = Float64Array.from(bias);
  for (let i = 0; i < x.length; i++) for (let j = 0; j < out.length; j++) out[j] += x[i] * weight[i * out.length + j];
  return out;
}

/** Per scored token t = 1 … length − 1: log π(token_t | tokens_<t), and the entropy and top-20 mean of that distribution, with the GELU given. */
export function gpt2Figures(config: Gpt2Config, weights: Gpt2Weights, tokens: readonly number[], gelu: (x: number) => number): { logprob: number[]; entropy: number[]; topkMean: number[] } {
  const d = config.embeddingDim;
  const headDim = headDimOf(config);
  const epsilon = layerNormEpsilonOf(config);
  const m = mlpDimOf(config);
  let hidden = tokens.map((token, position) => Float64Array.from({ length: d }, (_, i) => weights.tokenEmbedding[token * d + i] + weights.positionEmbedding[position * d + i]));
  for (const layer of weights.layers) {
    const qkv = hidden.map((h) => affine(layerNorm(h, layer.ln1Scale, layer.ln1Bias, epsilon), layer.attnQkvWeight, layer.attnQkvBias));
    hidden = hidden.map((h, position) => {
      const context = new Float64Array(d);
      for (let head = 0; head < config.headCount; head++) {
        const offset = head * headDim;
        const scores = Array.from({ length: position + 1 }, (_, j) => {
          let dot = 0;
          for (let k = 0; k < headDim; k++) dot += qkv[position][offset + k] * qkv[j][d + offset + k];
          return dot / Math.sqrt(headDim);
        });
        const max = scores.reduce((a, b) => Math.max(a, b), -Infinity);
        const weightsOf = scores.map((s) => Math.exp(s - max));
        const total = weightsOf.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= position; j++) for (let k = 0; k < headDim; k++) context[offset + k] += (weightsOf[j] / total) * qkv[j][2 * d + offset + k];
      }
      const attended = affine(context, layer.attnOutWeight, layer.attnOutBias).map((v, i) => v + h[i]);
      const expanded = affine(layerNorm(attended, layer.ln2Scale, layer.ln2Bias, epsilon), layer.mlpInWeight, layer.mlpInBias).map(gelu);
      if (expanded.length !== m) throw new Error('MLP width mismatch');
      return affine(expanded, layer.mlpOutWeight, layer.mlpOutBias).map((v, i) => v + attended[i]);
    });
  }
  const figures = { logprob: [] as number[], entropy: [] as number[], topkMean: [] as number[] };
  for (let t = 1; t < tokens.length; t++) {
    const h = layerNorm(hidden[t - 1], weights.finalNormScale, weights.finalNormBias, epsilon);
    const logits = Array.from({ length: config.vocabSize }, (_, v) => {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += h[i] * weights.tokenEmbedding[v * d + i];
      return dot;
    });
    const max = logits.reduce((a, b) => Math.max(a, b), -Infinity);
    const logSum = max + Math.log(logits.reduce((sum, l) => sum + Math.exp(l - max), 0));
    const logprobs = logits.map((l) => l - logSum);
    figures.logprob.push(logprobs[tokens[t]]);
    figures.entropy.push(-logprobs.reduce((sum, l) => sum + Math.exp(l) * l, 0));
    const top = [...logprobs].sort((a, b) => b - a).slice(0, 20);
    figures.topkMean.push(top.reduce((a, b) => a + b, 0) / top.length);
  }
  return figures;
}
