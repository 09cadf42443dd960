/**
 * Builds a Llama / Qwen-shape decoder-with-past ONNX graph in the layout optimum's
 * `text-generation-with-past` export gives transformers.js (the realformat pairs' layout):
 *
 * inputs   input_ids                int64 [batch_size, sequence_length]
 *          attention_mask           int64 [batch_size, total_sequence_length]
 *          position_ids             int64 [batch_size, sequence_length]
 *          past_key_values.{i}.key  float [batch_size, kv_heads, past_sequence_length, head_dim]  (and .value)
 * outputs  logits                   float [batch_size, sequence_length, vocab_size]
 *          present.{i}.key          float [batch_size, kv_heads, total_sequence_length, head_dim]  (and .value)
 *
 * Model (HF LlamaForCausalLM; Qwen3 with queryKeyNorm): token embedding; per layer RMSNorm →
 * q/k/v projections → (per-head q/k RMSNorm) → rotary positions (HF's rotate_half, from float64
 * cos/sin tables gathered by position_ids) → causal grouped-query attention → o projection →
 * residual, RMSNorm → SwiGLU MLP (down(silu(gate(x)) · up(x))) → residual; final RMSNorm; LM head
 * tied to the embedding. Standard opset-17 ops (RMSNorm written as HF's export writes it, so
 * ONNX Runtime fuses it); q4 adds `com.microsoft.MatMulNBits`.
 *
 * Weight formats: fp32 (the head is MatMul by a Transpose of the embedding table, which is stored
 * once, as optimum does for tied weights), and q4 (every linear layer and the head MatMulNBits,
 * 4-bit symmetric blocks of 32; the embedding Gather stays float32, as transformers.js' q4 exports
 * keep it).
 */
import { OnnxDataType, OnnxGraphBuilder, encodeOnnxModel, intAttr, intsAttr, valueInfo, type OnnxValueInfo } from '../../src/core/onnx';
import { validateLlamaShapeConfig, type LlamaShapeConfig } from './llama-shape';
import type { LlamaWeights } from './llama-weights';
import { quantizeFourBitBlocksSymmetric, transposeMatrix, type SymmetricFourBitBlocks } from './quantize';

export type LlamaWeightFormat = 'fp32' | 'q4';
export const LLAMA_WEIGHT_FORMATS: readonly LlamaWeightFormat[] = ['fp32', 'q4'];
/** The file transformers.js loads for each dtype. */
export const LLAMA_ONNX_FILE_BY_FORMAT: Record<LlamaWeightFormat, string> = { fp32: 'onnx/model.onnx', q4: 'onnx/model_q4.onnx' };

export const LLAMA_ONNX_OPSET = 17;
const ONNX_IR_VERSION = 8;
const MICROSOFT_DOMAIN = 'com.microsoft';
/** Where attention is masked out; finite so that a fully masked row softmaxes to uniform instead of NaN. */
const MASKED_SCORE = -3.4028234663852886e38;

export const llamaPastName = (layer: number, kind: 'key' | 'value'): string => `past_key_values.${layer}.${kind}`;
export const llamaPresentName = (layer: number, kind: 'key' | 'value'): string => `present.${layer}.${kind}`;

/**
 * cos and sin tables `[maxPositions, headDim]` in HF's layout (the half-width frequencies written
 * twice): inv_freq[i] = θ^(−2i / head_dim), angle = position · inv_freq, computed in float64.
 */
export function rotaryTables(config: LlamaShapeConfig): { cos: Float32Array; sin: Float32Array } {
  const { headDim, maxPositions, ropeTheta } = config;
  const half = headDim / 2;
  const cos = new Float32Array(maxPositions * headDim);
  const sin = new Float32Array(maxPositions * headDim);
  for (let position = 0; position < maxPositions; position++) {
    for (let index = 0; index < half; index++) {
      const angle = position * ropeTheta ** ((-2 * index) / headDim);
      for (const column of [index, index + half]) {
        cos[position * headDim + column] = Math.cos(angle);
        sin[position * headDim + column] = Math.sin(angle);
      }
    }
  }
  return { cos, sin };
}

/** The ModelProto bytes of the graph in one weight format. */
export function buildLlamaOnnx(weights: LlamaWeights, format: LlamaWeightFormat, description?: string): Uint8Array {
  validateLlamaShapeConfig(weights.config);
  const writer = new LlamaGraphWriter(weights, format);
  const { inputs, outputs } = writer.write();
  return encodeOnnxModel({
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: LLAMA_ONNX_OPSET }, ...(format === 'q4' ? [{ domain: MICROSOFT_DOMAIN, version: 1 }] : [])],
    producer_name: 'progress-advantage/model-builder',
    producer_version: '1',
    ...(description ? { doc_string: description } : {}),
    graph: { name: `llama_shape_${format}`, node: writer.builder.nodes, initializer: writer.builder.initializers, input: inputs, output: outputs },
  });
}

class LlamaGraphWriter {
  readonly builder = new OnnxGraphBuilder();
  private readonly config: LlamaShapeConfig;

  constructor(
    private readonly weights: LlamaWeights,
    private readonly format: LlamaWeightFormat,
  ) {
    this.config = weights.config;
  }

  write(): { inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[] } {
    const b = this.builder;
    const { config } = this;
    const inputs: OnnxValueInfo[] = [
      valueInfo('input_ids', OnnxDataType.INT64, ['batch_size', 'sequence_length']),
      valueInfo('attention_mask', OnnxDataType.INT64, ['batch_size', 'total_sequence_length']),
      valueInfo('position_ids', OnnxDataType.INT64, ['batch_size', 'sequence_length']),
    ];
    const outputs: OnnxValueInfo[] = [valueInfo('logits', OnnxDataType.FLOAT, ['batch_size', 'sequence_length', config.vocabSize])];
    for (let layer = 0; layer < config.layerCount; layer++) {
      for (const kind of ['key', 'value'] as const) {
        inputs.push(valueInfo(llamaPastName(layer, kind), OnnxDataType.FLOAT, ['batch_size', config.kvHeadCount, 'past_sequence_length', config.headDim]));
        outputs.push(valueInfo(llamaPresentName(layer, kind), OnnxDataType.FLOAT, ['batch_size', config.kvHeadCount, 'total_sequence_length', config.headDim]));
      }
    }
    for (const input of inputs) b.reserveName(input.name);

    const embedding = this.weights.tensor('embed_tokens');
    const table = b.floatTensor('model.embed_tokens.weight', [config.vocabSize, config.hiddenSize], embedding);
    let hidden = b.node('Gather', [table, 'input_ids'], {}, { name: 'model/embed_tokens' });
    const rotary = this.rotary();
    const allowed = this.attentionAllowed();
    for (let layer = 0; layer < config.layerCount; layer++) {
      const prefix = `layers.${layer}`;
      const attention = this.attention(this.rmsNorm(hidden, `${prefix}.input_layernorm`, config.hiddenSize), layer, rotary, allowed);
      hidden = b.node('Add', [hidden, attention], {}, { name: `model/${prefix}/attn_residual` });
      const mlp = this.mlp(this.rmsNorm(hidden, `${prefix}.post_attention_layernorm`, config.hiddenSize), prefix);
      hidden = b.node('Add', [hidden, mlp], {}, { name: `model/${prefix}/mlp_residual` });
    }
    const final = this.rmsNorm(hidden, 'norm', config.hiddenSize);
    if (this.format === 'q4') {
      this.matMulNBits(final, quantizeFourBitBlocksSymmetric(embedding, config.vocabSize, config.hiddenSize), 'lm_head', 'logits');
    } else {
      const transposed = b.node('Transpose', [table], { perm: intsAttr([1, 0]) }, { name: 'lm_head/tied_weight' });
      b.node('MatMul', [final, transposed], {}, { name: 'lm_head/MatMul', outputs: ['logits'] });
    }
    return { inputs, outputs };
  }

  /** HF's LlamaRMSNorm as exported: x / √(mean(x²) + ε) · weight over the last axis. */
  private rmsNorm(input: string, weightName: string, width: number): string {
    const b = this.builder;
    const name = `model/${weightName}`;
    const weight = b.floatTensor(`model.${weightName}.weight`, [width], this.weights.tensor(weightName));
    const squared = b.node('Pow', [input, b.floatScalar(2)], {}, { name: `${name}/Pow` });
    const meanSquare = b.node('ReduceMean', [squared], { axes: intsAttr([-1]), keepdims: intAttr(1) }, { name: `${name}/ReduceMean` });
    const root = b.node('Sqrt', [b.node('Add', [meanSquare, b.floatScalar(this.config.rmsNormEpsilon)], {}, { name: `${name}/Add` })], {}, { name: `${name}/Sqrt` });
    return b.node('Mul', [b.node('Div', [input, root], {}, { name: `${name}/Div` }), weight], {}, { name: `${name}/Mul` });
  }

  /** `input · Wᵀ` for an nn.Linear weight `[out, in]`, in the chosen storage. */
  private linear(input: string, weightName: string): string {
    const [outputCount, inputCount] = this.weights.shapeOf(weightName);
    const weight = this.weights.tensor(weightName);
    const name = `model/${weightName}`;
    if (this.format === 'q4') return this.matMulNBits(input, quantizeFourBitBlocksSymmetric(weight, outputCount, inputCount), name);
    const stored = this.builder.floatTensor(`model.${weightName}.weight_t`, [inputCount, outputCount], transposeMatrix(weight, outputCount, inputCount));
    return this.builder.node('MatMul', [input, stored], {}, { name: `${name}/MatMul` });
  }

  private matMulNBits(input: string, quantized: SymmetricFourBitBlocks, name: string, outputName?: string): string {
    const b = this.builder;
    const { outputCount, inputCount, blocksPerRow, blockSize } = quantized;
    const packed = b.addInitializer(`${name}.weight_Q4`, OnnxDataType.UINT8, [outputCount, blocksPerRow, blockSize / 2], quantized.packedWeights);
    const scales = b.floatTensor(`${name}.weight_scales`, [outputCount * blocksPerRow], quantized.scales);
    return b.node(
      'MatMulNBits',
      [input, packed, scales],
      { K: intAttr(inputCount), N: intAttr(outputCount), bits: intAttr(4), block_size: intAttr(blockSize) },
      { name: `${name}/MatMulNBits`, domain: MICROSOFT_DOMAIN, ...(outputName ? { outputs: [outputName] } : {}) },
    );
  }

  /** cos and sin `[batch, sequence, 1, head_dim]` for this step's positions, shared by every layer. */
  private rotary(): { cos: string; sin: string } {
    const b = this.builder;
    const tables = rotaryTables(this.config);
    const gathered = (values: Float32Array, label: 'cos' | 'sin') =>
      b.node('Unsqueeze', [
        b.node('Gather', [b.floatTensor(`model.rotary_emb.${label}_table`, [this.config.maxPositions, this.config.headDim], values), 'position_ids'], {}, { name: `model/rotary_emb/${label}` }),
        b.int64Vector([2]),
      ], {}, { name: `model/rotary_emb/${label}_per_head` });
    return { cos: gathered(tables.cos, 'cos'), sin: gathered(tables.sin, 'sin') };
  }

  /** HF's apply_rotary_pos_emb on `[batch, sequence, heads, head_dim]`: x·cos + rotate_half(x)·sin. */
  private rotate(input: string, rotary: { cos: string; sin: string }, name: string): string {
    const b = this.builder;
    const half = this.config.headDim / 2;
    const [first, second] = b.nodeOutputs('Split', [input, b.int64Vector([half, half])], { axis: intAttr(-1) }, { name: `${name}/halves`, outputCount: 2 });
    const rotated = b.node('Concat', [b.node('Neg', [second], {}, { name: `${name}/neg_second` }), first], { axis: intAttr(-1) }, { name: `${name}/rotate_half` });
    return b.node('Add', [
      b.node('Mul', [input, rotary.cos], {}, { name: `${name}/times_cos` }),
      b.node('Mul', [rotated, rotary.sin], {}, { name: `${name}/times_sin` }),
    ], {}, { name: `${name}/rotated` });
  }

  /**
   * Shared by all layers: bool [batch, 1, sequence, total], true where query i of this step (at
   * absolute position past + i) may attend to key j: j ≤ past + i and attention_mask[j] = 1.
   */
  private attentionAllowed(): string {
    const b = this.builder;
    const sequenceLength = b.node('Gather', [b.node('Shape', ['input_ids'], {}, { name: 'mask/input_shape' }), b.int64Scalar(1)], { axis: intAttr(0) }, { name: 'mask/sequence_length' });
    const totalLength = b.node('Gather', [b.node('Shape', ['attention_mask'], {}, { name: 'mask/mask_shape' }), b.int64Scalar(1)], { axis: intAttr(0) }, { name: 'mask/total_length' });
    const pastLength = b.node('Sub', [totalLength, sequenceLength], {}, { name: 'mask/past_length' });
    const one = b.int64Scalar(1);
    const queryPositions = b.node('Range', [pastLength, totalLength, one], {}, { name: 'mask/query_positions' });
    const keyPositions = b.node('Range', [b.int64Scalar(0), totalLength, one], {}, { name: 'mask/key_positions' });
    const causal = b.node('GreaterOrEqual', [
      b.node('Unsqueeze', [queryPositions, b.int64Vector([1])], {}, { name: 'mask/query_column' }),
      b.node('Unsqueeze', [keyPositions, b.int64Vector([0])], {}, { name: 'mask/key_row' }),
    ], {}, { name: 'mask/causal' });
    const keyIsReal = b.node('Unsqueeze', [
      b.node('Cast', ['attention_mask'], { to: intAttr(OnnxDataType.BOOL) }, { name: 'mask/key_is_real' }),
      b.int64Vector([1, 2]),
    ], {}, { name: 'mask/key_is_real_4d' });
    return b.node('And', [causal, keyIsReal], {}, { name: 'mask/allowed' });
  }

  /**
   * Grouped-query attention: query head h reads key-value head ⌊h / group⌋ (HF's repeat_kv).
   * Instead of repeating keys and values, each key-value head's `group` query heads are stacked
   * as one [group · sequence, head_dim] block, which multiplies the same numbers.
   */
  private attention(input: string, layer: number, rotary: { cos: string; sin: string }, allowed: string): string {
    const b = this.builder;
    const { headCount, kvHeadCount, headDim } = this.config;
    const prefix = `layers.${layer}.self_attn`;
    const name = `model/${prefix}`;
    const perHead = (tensor: string, heads: number, label: string) => {
      let split = b.node('Reshape', [tensor, b.int64Vector([0, 0, heads, headDim])], {}, { name: `${name}/${label}_heads` });
      if (this.config.queryKeyNorm && label !== 'v') split = this.rmsNorm(split, `${prefix}.${label}_norm`, headDim);
      return split;
    };
    const toHeadMajor = (tensor: string, label: string) => b.node('Transpose', [tensor], { perm: intsAttr([0, 2, 1, 3]) }, { name: `${name}/${label}_bhsd` });
    const query = toHeadMajor(this.rotate(perHead(this.linear(input, `${prefix}.q_proj`), headCount, 'q'), rotary, `${name}/q_rope`), 'q');
    const key = toHeadMajor(this.rotate(perHead(this.linear(input, `${prefix}.k_proj`), kvHeadCount, 'k'), rotary, `${name}/k_rope`), 'k');
    const value = toHeadMajor(perHead(this.linear(input, `${prefix}.v_proj`), kvHeadCount, 'v'), 'v');
    const presentKey = b.node('Concat', [llamaPastName(layer, 'key'), key], { axis: intAttr(2) }, { name: `${name}/present_key`, outputs: [llamaPresentName(layer, 'key')] });
    const presentValue = b.node('Concat', [llamaPastName(layer, 'value'), value], { axis: intAttr(2) }, { name: `${name}/present_value`, outputs: [llamaPresentName(layer, 'value')] });

    const groupedShape = b.int64Vector([0, kvHeadCount, -1, 0]); // [batch, kv_heads, group · rows, last axis kept]
    const scaledQuery = b.node('Mul', [
      b.node('Reshape', [query, b.int64Vector([0, kvHeadCount, -1, headDim])], {}, { name: `${name}/q_grouped` }),
      b.floatScalar(1 / Math.sqrt(headDim)),
    ], {}, { name: `${name}/q_scaled` });
    const groupedScores = b.node('MatMul', [scaledQuery, b.node('Transpose', [presentKey], { perm: intsAttr([0, 1, 3, 2]) }, { name: `${name}/key_t` })], {}, { name: `${name}/scores` });
    const scores = b.node('Reshape', [groupedScores, b.int64Vector([0, headCount, -1, 0])], {}, { name: `${name}/scores_per_head` }); // [batch, heads, sequence, total]
    const masked = b.node('Where', [allowed, scores, b.floatScalar(MASKED_SCORE)], {}, { name: `${name}/masked_scores` });
    const probabilities = b.node('Softmax', [masked], { axis: intAttr(-1) }, { name: `${name}/probabilities` });
    const groupedContext = b.node('MatMul', [b.node('Reshape', [probabilities, groupedShape], {}, { name: `${name}/probabilities_grouped` }), presentValue], {}, { name: `${name}/context_grouped` });
    const context = b.node('Reshape', [groupedContext, b.int64Vector([0, headCount, -1, headDim])], {}, { name: `${name}/context` }); // [batch, heads, sequence, head_dim]
    const merged = b.node('Reshape', [toHeadMajor(context, 'context'), b.int64Vector([0, 0, headCount * headDim])], {}, { name: `${name}/context_merged` });
    return this.linear(merged, `${prefix}.o_proj`);
  }

  /** SwiGLU: down(silu(gate(x)) · up(x)). */
  private mlp(input: string, prefix: string): string {
    const b = this.builder;
    const name = `model/${prefix}/mlp`;
    const gate = this.linear(input, `${prefix}.mlp.gate_proj`);
    const silu = b.node('Mul', [gate, b.node('Sigmoid', [gate], {}, { name: `${name}/gate_sigmoid` })], {}, { name: `${name}/silu` });
    return this.linear(b.node('Mul', [silu, this.linear(input, `${prefix}.mlp.up_proj`)], {}, { name: `${name}/gated` }), `${prefix}.mlp.down_proj`);
  }
}
