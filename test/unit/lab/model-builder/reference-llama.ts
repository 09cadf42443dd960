/**
 * An independent Llama / Qwen3 forward pass in plain float64 loops, written from Hugging Face's
 * modeling code (LlamaRMSNorm, rotate_half, repeat_kv, eager attention, LlamaMLP) rather than from
 * the ONNX graph, to check the builder's graphs against. Rotary angles are recomputed here from
 * θ; grouped-query attention repeats each key-value head for its query heads, as repeat_kv does.
 */
import {
  dequantizeFourBitBlocksSymmetric,
  quantizeFourBitBlocksSymmetric,
  type LlamaShapeConfig,
  type LlamaWeightFormat,
  type LlamaWeights,
} from '../../../../lab/model-builder';
import { maxOf } from '../../../../src/core/arrays';

/** A linear weight `[out, in]` as the given format stores it (q4: its 4-bit blocks dequantized). */
function storedWeight(weights: LlamaWeights, name: string, format: LlamaWeightFormat): Float32Array {
  const values = weights.tensor(name);
  if (format === 'fp32') return values;
  const [outputCount, inputCount] = weights.shapeOf(name);
  return dequantizeFourBitBlocksSymmetric(quantizeFourBitBlocksSymmetric(values, outputCount, inputCount));
}

function rmsNorm(x: Float64Array, weight: Float32Array, epsilon: number): Float64Array {
  let meanSquare = 0;
  for (const value of x) meanSquare += value * value;
  meanSquare /= x.length;
  const inverse = 1 / Math.sqrt(meanSquare + epsilon);
  return x.map((value, index) => value * inverse * weight[index]);
}

/** y = W x for an nn.Linear weight `[out, in]`. */
function applyLinear(weight: Float32Array, x: Float64Array, outputCount: number): Float64Array {
  const inputCount = x.length;
  const y = new Float64Array(outputCount);
  for (let output = 0; output < outputCount; output++) {
    let sum = 0;
    const row = output * inputCount;
    for (let input = 0; input < inputCount; input++) sum += weight[row + input] * x[input];
    y[output] = sum;
  }
  return y;
}

/** HF apply_rotary_pos_emb on one head's vector at `position`: x·cos + rotate_half(x)·sin. */
function rotate(x: Float64Array, position: number, config: LlamaShapeConfig): Float64Array {
  const half = config.headDim / 2;
  const result = new Float64Array(config.headDim);
  for (let index = 0; index < half; index++) {
    const angle = position / config.ropeTheta ** ((2 * index) / config.headDim);
    const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
    result[index] = x[index] * cos - x[index + half] * sin;
    result[index + half] = x[index + half] * cos + x[index] * sin;
  }
  return result;
}

const slice = (vector: Float64Array, head: number, headDim: number): Float64Array => vector.slice(head * headDim, (head + 1) * headDim);

/**
 * Logits `[tokens][vocab]` of one sequence at positions 0…n−1, every row. `format` picks the
 * weights the graph of that format holds: q4 dequantizes every linear layer and the tied head
 * (the embedding lookup stays the float table).
 */
export function referenceLlamaLogits(weights: LlamaWeights, tokenIds: readonly number[], format: LlamaWeightFormat): Float64Array[] {
  const { config } = weights;
  const { hiddenSize: d, headCount, kvHeadCount, headDim, intermediateSize: m, rmsNormEpsilon: epsilon } = config;
  const group = headCount / kvHeadCount;
  const embedding = weights.tensor('embed_tokens');
  let hidden = tokenIds.map((token) => Float64Array.from(embedding.subarray(token * d, (token + 1) * d)));
  for (let layer = 0; layer < config.layerCount; layer++) {
    const prefix = `layers.${layer}`;
    const linear = (name: string) => storedWeight(weights, `${prefix}.${name}`, format);
    const [qProj, kProj, vProj, oProj] = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj'].map(linear);
    const [gateProj, upProj, downProj] = ['mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj'].map(linear);
    const inputNorm = weights.tensor(`${prefix}.input_layernorm`);
    const postNorm = weights.tensor(`${prefix}.post_attention_layernorm`);
    const qNorm = config.queryKeyNorm ? weights.tensor(`${prefix}.self_attn.q_norm`) : null;
    const kNorm = config.queryKeyNorm ? weights.tensor(`${prefix}.self_attn.k_norm`) : null;

    // Per position: rotated queries [heads][head_dim], keys and values [kv_heads][head_dim].
    const queries: Float64Array[][] = [];
    const keys: Float64Array[][] = [];
    const values: Float64Array[][] = [];
    hidden.forEach((vector, position) => {
      const x = rmsNorm(vector, inputNorm, epsilon);
      const q = applyLinear(qProj, x, headCount * headDim);
      const k = applyLinear(kProj, x, kvHeadCount * headDim);
      const v = applyLinear(vProj, x, kvHeadCount * headDim);
      const prepared = (all: Float64Array, heads: number, norm: Float32Array | null) =>
        Array.from({ length: heads }, (_, head) => {
          const headVector = slice(all, head, headDim);
          return rotate(norm ? rmsNorm(headVector, norm, epsilon) : headVector, position, config);
        });
      queries.push(prepared(q, headCount, qNorm));
      keys.push(prepared(k, kvHeadCount, kNorm));
      values.push(Array.from({ length: kvHeadCount }, (_, head) => slice(v, head, headDim)));
    });

    hidden = hidden.map((vector, position) => {
      const context = new Float64Array(headCount * headDim);
      for (let head = 0; head < headCount; head++) {
        const kvHead = Math.floor(head / group); // repeat_kv
        const scores = Array.from({ length: position + 1 }, (_, key) => {
          let dot = 0;
          for (let index = 0; index < headDim; index++) dot += queries[position][head][index] * keys[key][kvHead][index];
          return dot / Math.sqrt(headDim);
        });
        const max = maxOf(scores);
        const exps = scores.map((score) => Math.exp(score - max));
        const total = exps.reduce((sum, value) => sum + value, 0);
        exps.forEach((weight, key) => {
          for (let index = 0; index < headDim; index++) context[head * headDim + index] += (weight / total) * values[key][kvHead][index];
        });
      }
      const attended = applyLinear(oProj, context, d).map((value, index) => value + vector[index]);
      const x = rmsNorm(attended, postNorm, epsilon);
      const gate = applyLinear(gateProj, x, m);
      const up = applyLinear(upProj, x, m);
      const gated = gate.map((value, index) => (value / (1 + Math.exp(-value))) * up[index]);
      return applyLinear(downProj, gated, d).map((value, index) => value + attended[index]);
    });
  }
  const head = storedWeight(weights, 'embed_tokens', format);
  const finalNorm = weights.tensor('norm');
  return hidden.map((vector) => applyLinear(head, rmsNorm(vector, finalNorm, epsilon), config.vocabSize));
}

export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let index = 0; index < logits.length; index++) max = Math.max(max, logits[index]);
  let total = 0;
  for (let index = 0; index < logits.length; index++) total += Math.exp(logits[index] - max);
  const logTotal = max + Math.log(total);
  return Float64Array.from({ length: logits.length }, (_, index) => logits[index] - logTotal);
}
