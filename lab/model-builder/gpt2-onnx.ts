/**
 * Builds a GPT-2 decoder-with-past ONNX graph (the I/O contract transformers.js uses for `gpt2`):
 *
 * inputs   input_ids                int64 [batch_size, sequence_length]
 *          attention_mask           int64 [batch_size, total_sequence_length]   (total = past + sequence)
 *          position_ids             int64 [batch_size, sequence_length]
 *          past_key_values.{i}.key  float [batch_size, heads, past_sequence_length, head_dim]  (and .value)
 * outputs  logits                   float [batch_size, sequence_length, vocab_size]
 *          present.{i}.key          float [batch_size, heads, total_sequence_length, head_dim]  (and .value)
 *
 * `heads` and `head_dim` are fixed numbers on purpose: transformers.js v4 builds the empty first-step
 * cache from the session's input metadata, taking numeric dims as they are, `batch_size` as the batch and
 * every other symbolic dim as 0. It feeds `position_ids` only because the graph declares that input.
 *
 * Model: token + learned position embeddings, pre-LN blocks (causal multi-head attention, GELU-tanh MLP),
 * final LayerNorm, LM head tied to the token embedding. Attention uses only standard opset-17 ops so the same
 * graph runs on the ONNX Runtime CPU, WASM and WebGPU providers; the q4 form adds `com.microsoft.MatMulNBits`.
 */
import {
  OnnxDataType,
  OnnxGraphBuilder,
  encodeOnnxModel,
  floatAttr,
  intAttr,
  intsAttr,
  toFloat16Bits,
  valueInfo,
  type OnnxValueInfo,
} from '../../src/core/onnx';
import {
  headDimOf,
  layerNormEpsilonOf,
  mlpDimOf,
  validateGpt2Weights,
  type Gpt2Config,
  type Gpt2LayerWeights,
  type Gpt2Weights,
} from '../../src/demo/gpt2-weights';
import {
  quantizeFourBitBlocks,
  quantizeInt8PerChannel,
  transposeMatrix,
  type FourBitBlockQuantized,
} from './quantize';

/**
 * How the big weight tensors are stored; computation is float32 in every form.
 * - fp32: as given.
 * - fp16: matrices and embeddings stored as float16 and Cast to float32 in-graph (halves the file).
 * - q8: matrices and embeddings as symmetric per-channel int8 + `DequantizeLinear`.
 * - q4: linear layers and the tied token embedding as 4-bit blocks (block 32, asymmetric) for
 *   `MatMulNBits`; the embedding lookup decodes the same 4-bit tensor with standard ops (folded to a
 *   constant by ONNX Runtime at load); the position embedding is int8 as in q8.
 */
export type Gpt2WeightFormat = 'fp32' | 'fp16' | 'q8' | 'q4';

export const GPT2_WEIGHT_FORMATS: readonly Gpt2WeightFormat[] = ['fp32', 'fp16', 'q8', 'q4'];

/** The file transformers.js loads for each `dtype` option (fp32, fp16, q8, q4). */
export const ONNX_FILE_BY_WEIGHT_FORMAT: Record<Gpt2WeightFormat, string> = {
  fp32: 'onnx/model.onnx',
  fp16: 'onnx/model_fp16.onnx',
  q8: 'onnx/model_quantized.onnx',
  q4: 'onnx/model_q4.onnx',
};

export interface Gpt2OnnxOptions {
  weightFormat?: Gpt2WeightFormat;
  /** Written to ModelProto.doc_string. */
  description?: string;
}

export const GPT2_ONNX_OPSET = 17;
const ONNX_IR_VERSION = 8; // the IR version that introduced opset 17
const MICROSOFT_DOMAIN = 'com.microsoft';
/** Where attention is masked out; finite so that a fully masked row softmaxes to uniform instead of NaN. */
const MASKED_SCORE = -3.4028234663852886e38;

export const pastKeyValueName = (layer: number, kind: 'key' | 'value'): string => `past_key_values.${layer}.${kind}`;
export const presentKeyValueName = (layer: number, kind: 'key' | 'value'): string => `present.${layer}.${kind}`;

/** Writes the graph and returns the ModelProto bytes. */
export function buildGpt2Onnx(config: Gpt2Config, weights: Gpt2Weights, options: Gpt2OnnxOptions = {}): Uint8Array {
  validateGpt2Weights(config, weights);
  const weightFormat = options.weightFormat ?? 'fp32';
  const graph = new Gpt2GraphWriter(config, weightFormat);
  const { inputs, outputs } = graph.write(weights);
  return encodeOnnxModel({
    ir_version: ONNX_IR_VERSION,
    opset_import: [
      { domain: '', version: GPT2_ONNX_OPSET },
      ...(weightFormat === 'q4' ? [{ domain: MICROSOFT_DOMAIN, version: 1 }] : []),
    ],
    producer_name: 'progress-advantage/model-builder',
    producer_version: '1',
    ...(options.description ? { doc_string: options.description } : {}),
    graph: {
      name: `gpt2_${weightFormat}`,
      node: graph.builder.nodes,
      initializer: graph.builder.initializers,
      input: inputs,
      output: outputs,
    },
  });
}

/** Every requested weight format's ModelProto bytes, keyed by format. */
export function buildGpt2OnnxVariants(
  config: Gpt2Config,
  weights: Gpt2Weights,
  formats: readonly Gpt2WeightFormat[] = GPT2_WEIGHT_FORMATS,
): Partial<Record<Gpt2WeightFormat, Uint8Array>> {
  const variants: Partial<Record<Gpt2WeightFormat, Uint8Array>> = {};
  for (const format of formats) variants[format] = buildGpt2Onnx(config, weights, { weightFormat: format });
  return variants;
}

interface AttentionMasks {
  /** bool [batch, 1, sequence, total]: true where a query may attend to a key. */
  allowed: string;
}

class Gpt2GraphWriter {
  readonly builder = new OnnxGraphBuilder();
  private readonly config: Gpt2Config;
  private readonly format: Gpt2WeightFormat;
  private readonly d: number;
  private readonly headDim: number;

  constructor(config: Gpt2Config, format: Gpt2WeightFormat) {
    this.config = config;
    this.format = format;
    this.d = config.embeddingDim;
    this.headDim = headDimOf(config);
  }

  write(weights: Gpt2Weights): { inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[] } {
    const b = this.builder;
    const { config, d } = this;
    const inputs: OnnxValueInfo[] = [
      valueInfo('input_ids', OnnxDataType.INT64, ['batch_size', 'sequence_length']),
      valueInfo('attention_mask', OnnxDataType.INT64, ['batch_size', 'total_sequence_length']),
      valueInfo('position_ids', OnnxDataType.INT64, ['batch_size', 'sequence_length']),
    ];
    const outputs: OnnxValueInfo[] = [
      valueInfo('logits', OnnxDataType.FLOAT, ['batch_size', 'sequence_length', config.vocabSize]),
    ];
    for (let layer = 0; layer < config.layerCount; layer++) {
      for (const kind of ['key', 'value'] as const) {
        inputs.push(
          valueInfo(pastKeyValueName(layer, kind), OnnxDataType.FLOAT, ['batch_size', config.headCount, 'past_sequence_length', this.headDim]),
        );
        outputs.push(
          valueInfo(presentKeyValueName(layer, kind), OnnxDataType.FLOAT, ['batch_size', config.headCount, 'total_sequence_length', this.headDim]),
        );
      }
    }
    for (const input of inputs) b.reserveName(input.name);

    const tokenTable = this.tokenEmbeddingTable(weights.tokenEmbedding);
    const positionTable = this.embeddingTable('wpe', weights.positionEmbedding, config.contextLength);
    const tokenVectors = b.node('Gather', [tokenTable.table, 'input_ids'], {}, { name: 'embed/token' });
    const positionVectors = b.node('Gather', [positionTable, 'position_ids'], {}, { name: 'embed/position' });
    let hidden = b.node('Add', [tokenVectors, positionVectors], {}, { name: 'embed/sum' });

    const masks = this.attentionMasks();
    weights.layers.forEach((layerWeights, layer) => {
      const prefix = `h.${layer}`;
      const normed1 = this.layerNorm(hidden, layerWeights.ln1Scale, layerWeights.ln1Bias, `${prefix}/ln_1`);
      const attention = this.attention(normed1, layerWeights, layer, masks);
      hidden = b.node('Add', [hidden, attention], {}, { name: `${prefix}/attn_residual` });
      const normed2 = this.layerNorm(hidden, layerWeights.ln2Scale, layerWeights.ln2Bias, `${prefix}/ln_2`);
      const expanded = this.linear(normed2, layerWeights.mlpInWeight, layerWeights.mlpInBias, d, mlpDimOf(config), `${prefix}/mlp/c_fc`);
      const activated = this.geluTanh(expanded, `${prefix}/mlp/gelu`);
      const projected = this.linear(activated, layerWeights.mlpOutWeight, layerWeights.mlpOutBias, mlpDimOf(config), d, `${prefix}/mlp/c_proj`);
      hidden = b.node('Add', [hidden, projected], {}, { name: `${prefix}/mlp_residual` });
    });

    const finalNormed = this.layerNorm(hidden, weights.finalNormScale, weights.finalNormBias, 'ln_f');
    this.lmHead(finalNormed, tokenTable);
    return { inputs, outputs };
  }

  private layerNorm(input: string, scale: Float32Array, bias: Float32Array, name: string): string {
    const b = this.builder;
    const scaleName = b.floatTensor(`${name}.weight`, [this.d], scale);
    const biasName = b.floatTensor(`${name}.bias`, [this.d], bias);
    return b.node('LayerNormalization', [input, scaleName, biasName], {
      axis: intAttr(-1),
      epsilon: floatAttr(layerNormEpsilonOf(this.config)),
    }, { name });
  }

  /** `input · W + bias` for a `[inDim, outDim]` weight, in the storage of the chosen format. */
  private linear(input: string, weight: Float32Array, bias: Float32Array, inDim: number, outDim: number, name: string): string {
    const b = this.builder;
    let product: string;
    switch (this.format) {
      case 'fp32':
        product = b.node('MatMul', [input, b.floatTensor(`${name}.weight`, [inDim, outDim], weight)], {}, { name: `${name}/MatMul` });
        break;
      case 'fp16': {
        const stored = b.addInitializer(`${name}.weight_fp16`, OnnxDataType.FLOAT16, [inDim, outDim], toFloat16Bits(weight));
        const restored = b.node('Cast', [stored], { to: intAttr(OnnxDataType.FLOAT) }, { name: `${name}/weight_cast` });
        product = b.node('MatMul', [input, restored], {}, { name: `${name}/MatMul` });
        break;
      }
      case 'q8': {
        const restored = this.int8Dequantized(`${name}.weight`, weight, inDim, outDim, 1);
        product = b.node('MatMul', [input, restored], {}, { name: `${name}/MatMul` });
        break;
      }
      case 'q4': {
        const quantized = quantizeFourBitBlocks(transposeMatrix(weight, inDim, outDim), outDim, inDim);
        product = this.matMulNBits(input, this.fourBitInitializers(`${name}.weight`, quantized), quantized, name);
        break;
      }
    }
    const biasName = b.floatTensor(`${name}.bias`, [outDim], bias);
    return b.node('Add', [product, biasName], {}, { name: `${name}/bias` });
  }

  /** A float `[rows, cols]` table restored from per-channel int8 via DequantizeLinear. */
  private int8Dequantized(name: string, matrix: Float32Array, rows: number, cols: number, axis: 0 | 1): string {
    const b = this.builder;
    const quantized = quantizeInt8PerChannel(matrix, rows, cols, axis);
    const channelCount = axis === 0 ? rows : cols;
    const values = b.addInitializer(`${name}_int8`, OnnxDataType.INT8, [rows, cols], quantized.values);
    const scales = b.floatTensor(`${name}_scale`, [channelCount], quantized.scales);
    // An explicit int8 zero point pins the quantized type (an omitted one defaults to uint8 semantics).
    const zeroPoints = b.addInitializer(`${name}_zero_point`, OnnxDataType.INT8, [channelCount], new Int8Array(channelCount));
    return b.node('DequantizeLinear', [values, scales, zeroPoints], { axis: intAttr(axis) }, { name: `${name}/dequantize` });
  }

  private fourBitInitializers(name: string, quantized: FourBitBlockQuantized): FourBitTensorNames {
    const b = this.builder;
    const { outputCount, blocksPerRow, blockSize } = quantized;
    return {
      packedWeights: b.addInitializer(`${name}_q4`, OnnxDataType.UINT8, [outputCount, blocksPerRow, blockSize / 2], quantized.packedWeights),
      scales: b.floatTensor(`${name}_scales`, [outputCount * blocksPerRow], quantized.scales),
      zeroPoints: b.addInitializer(`${name}_zero_points`, OnnxDataType.UINT8, [quantized.zeroPoints.length], quantized.zeroPoints),
    };
  }

  private matMulNBits(input: string, tensors: FourBitTensorNames, quantized: FourBitBlockQuantized, name: string, outputName?: string): string {
    return this.builder.node(
      'MatMulNBits',
      [input, tensors.packedWeights, tensors.scales, tensors.zeroPoints],
      {
        K: intAttr(quantized.inputCount),
        N: intAttr(quantized.outputCount),
        bits: intAttr(4),
        block_size: intAttr(quantized.blockSize),
      },
      { name: `${name}/MatMulNBits`, domain: MICROSOFT_DOMAIN, ...(outputName ? { outputs: [outputName] } : {}) },
    );
  }

  /** A float `[rows, embeddingDim]` lookup table in the chosen storage (q4 stores these as int8). */
  private embeddingTable(name: string, table: Float32Array, rows: number): string {
    const b = this.builder;
    switch (this.format) {
      case 'fp32':
        return b.floatTensor(`${name}.weight`, [rows, this.d], table);
      case 'fp16': {
        const stored = b.addInitializer(`${name}.weight_fp16`, OnnxDataType.FLOAT16, [rows, this.d], toFloat16Bits(table));
        return b.node('Cast', [stored], { to: intAttr(OnnxDataType.FLOAT) }, { name: `${name}/weight_cast` });
      }
      case 'q8':
      case 'q4':
        return this.int8Dequantized(`${name}.weight`, table, rows, this.d, 0);
    }
  }

  /** The token embedding, shared by the input lookup and the tied LM head. */
  private tokenEmbeddingTable(table: Float32Array): TokenTable {
    if (this.format !== 'q4') return { table: this.embeddingTable('wte', table, this.config.vocabSize) };
    // [vocab, d] is already MatMulNBits' [N, K] layout for the LM head.
    const quantized = quantizeFourBitBlocks(table, this.config.vocabSize, this.d);
    const tensors = this.fourBitInitializers('wte.weight', quantized);
    return { table: this.decodeFourBitTable(tensors, quantized, 'wte'), fourBit: { tensors, quantized } };
  }

  /**
   * Expands MatMulNBits tensors into the float `[N, K]` matrix with standard ops only, so the 4-bit token
   * embedding is stored once and still usable by Gather. Every input is an initializer, so ONNX Runtime's
   * constant folding evaluates this once when the session is created.
   */
  private decodeFourBitTable(tensors: FourBitTensorNames, quantized: FourBitBlockQuantized, name: string): string {
    const b = this.builder;
    const { outputCount, inputCount, blocksPerRow, blockSize } = quantized;
    const castToFloat = (input: string, label: string) =>
      b.node('Cast', [input], { to: intAttr(OnnxDataType.FLOAT) }, { name: `${name}/${label}_float` });
    /** [..., bytes] float byte values → [..., 2·bytes] nibbles, low nibble first. */
    const splitNibbles = (bytes: string, label: string): string => {
      const sixteen = b.floatScalar(16);
      const high = b.node('Floor', [b.node('Div', [bytes, sixteen], {}, { name: `${name}/${label}_div16` })], {}, { name: `${name}/${label}_high` });
      const low = b.node('Sub', [bytes, b.node('Mul', [high, sixteen], {}, { name: `${name}/${label}_high16` })], {}, { name: `${name}/${label}_low` });
      const lastAxis = b.int64Vector([-1]);
      const pairs = b.node('Concat', [
        b.node('Unsqueeze', [low, lastAxis], {}, { name: `${name}/${label}_low_pair` }),
        b.node('Unsqueeze', [high, lastAxis], {}, { name: `${name}/${label}_high_pair` }),
      ], { axis: intAttr(-1) }, { name: `${name}/${label}_pairs` });
      return pairs;
    };

    const codePairs = splitNibbles(castToFloat(tensors.packedWeights, 'codes'), 'codes'); // [N, blocks, bytes, 2]
    const codes = b.node('Reshape', [codePairs, b.int64Vector([outputCount, blocksPerRow, blockSize])], {}, { name: `${name}/codes` });

    const zeroPointBytesPerRow = Math.ceil(blocksPerRow / 2);
    const zeroPointBytes = b.node('Reshape', [castToFloat(tensors.zeroPoints, 'zero_points'), b.int64Vector([outputCount, zeroPointBytesPerRow])], {}, { name: `${name}/zero_point_rows` });
    const zeroPointPairs = b.node('Reshape', [splitNibbles(zeroPointBytes, 'zero_points'), b.int64Vector([outputCount, 2 * zeroPointBytesPerRow])], {}, { name: `${name}/zero_point_nibbles` });
    const zeroPoints = b.node('Slice', [zeroPointPairs, b.int64Vector([0]), b.int64Vector([blocksPerRow]), b.int64Vector([1])], {}, { name: `${name}/zero_points_per_block` });
    const zeroPointColumn = b.node('Unsqueeze', [zeroPoints, b.int64Vector([-1])], {}, { name: `${name}/zero_point_column` });
    const scaleColumn = b.node('Reshape', [tensors.scales, b.int64Vector([outputCount, blocksPerRow, 1])], {}, { name: `${name}/scale_column` });

    const centered = b.node('Sub', [codes, zeroPointColumn], {}, { name: `${name}/centered` });
    const blocks = b.node('Mul', [centered, scaleColumn], {}, { name: `${name}/dequantized_blocks` });
    const padded = b.node('Reshape', [blocks, b.int64Vector([outputCount, blocksPerRow * blockSize])], {}, { name: `${name}/padded` });
    if (blocksPerRow * blockSize === inputCount) return padded;
    return b.node('Slice', [padded, b.int64Vector([0]), b.int64Vector([inputCount]), b.int64Vector([1])], {}, { name: `${name}/unpadded` });
  }

  /**
   * Shared by all layers: which keys each query may see. Query i of this step sits at absolute
   * position past + i and may attend to key j iff j ≤ past + i and attention_mask[j] = 1.
   */
  private attentionMasks(): AttentionMasks {
    const b = this.builder;
    const idsShape = b.node('Shape', ['input_ids'], {}, { name: 'mask/input_shape' });
    const sequenceLength = b.node('Gather', [idsShape, b.int64Scalar(1)], { axis: intAttr(0) }, { name: 'mask/sequence_length' });
    const maskShape = b.node('Shape', ['attention_mask'], {}, { name: 'mask/mask_shape' });
    const totalLength = b.node('Gather', [maskShape, b.int64Scalar(1)], { axis: intAttr(0) }, { name: 'mask/total_length' });
    const pastLength = b.node('Sub', [totalLength, sequenceLength], {}, { name: 'mask/past_length' });
    const one = b.int64Scalar(1);
    const queryPositions = b.node('Range', [pastLength, totalLength, one], {}, { name: 'mask/query_positions' });
    const keyPositions = b.node('Range', [b.int64Scalar(0), totalLength, one], {}, { name: 'mask/key_positions' });
    const causal = b.node('GreaterOrEqual', [
      b.node('Unsqueeze', [queryPositions, b.int64Vector([1])], {}, { name: 'mask/query_column' }),
      b.node('Unsqueeze', [keyPositions, b.int64Vector([0])], {}, { name: 'mask/key_row' }),
    ], {}, { name: 'mask/causal' }); // [sequence, total]
    const keyIsReal = b.node('Cast', ['attention_mask'], { to: intAttr(OnnxDataType.BOOL) }, { name: 'mask/key_is_real' });
    const keyIsRealBroadcast = b.node('Unsqueeze', [keyIsReal, b.int64Vector([1, 2])], {}, { name: 'mask/key_is_real_4d' }); // [batch, 1, 1, total]
    const allowed = b.node('And', [causal, keyIsRealBroadcast], {}, { name: 'mask/allowed' }); // [batch, 1, sequence, total]
    return { allowed };
  }

  private attention(input: string, weights: Gpt2LayerWeights, layer: number, masks: AttentionMasks): string {
    const b = this.builder;
    const { d, headDim } = this;
    const heads = this.config.headCount;
    const prefix = `h.${layer}/attn`;
    const qkv = this.linear(input, weights.attnQkvWeight, weights.attnQkvBias, d, 3 * d, `${prefix}/c_attn`);
    const [query, key, value] = b.nodeOutputs('Split', [qkv, b.int64Vector([d, d, d])], { axis: intAttr(-1) }, {
      name: `${prefix}/split_qkv`,
      outputCount: 3,
    });
    const toHeads = (tensor: string, label: string) =>
      b.node('Transpose', [
        b.node('Reshape', [tensor, b.int64Vector([0, 0, heads, headDim])], {}, { name: `${prefix}/${label}_heads` }),
      ], { perm: intsAttr([0, 2, 1, 3]) }, { name: `${prefix}/${label}_bhsd` });

    const presentKey = b.node('Concat', [pastKeyValueName(layer, 'key'), toHeads(key, 'key')], { axis: intAttr(2) }, {
      name: `${prefix}/present_key`,
      outputs: [presentKeyValueName(layer, 'key')],
    });
    const presentValue = b.node('Concat', [pastKeyValueName(layer, 'value'), toHeads(value, 'value')], { axis: intAttr(2) }, {
      name: `${prefix}/present_value`,
      outputs: [presentKeyValueName(layer, 'value')],
    });

    const scaledQuery = b.node('Mul', [toHeads(query, 'query'), b.floatScalar(1 / Math.sqrt(headDim))], {}, { name: `${prefix}/scaled_query` });
    const keyTransposed = b.node('Transpose', [presentKey], { perm: intsAttr([0, 1, 3, 2]) }, { name: `${prefix}/key_t` });
    const scores = b.node('MatMul', [scaledQuery, keyTransposed], {}, { name: `${prefix}/scores` }); // [batch, heads, sequence, total]
    const maskedScores = b.node('Where', [masks.allowed, scores, b.floatScalar(MASKED_SCORE)], {}, { name: `${prefix}/masked_scores` });
    const probabilities = b.node('Softmax', [maskedScores], { axis: intAttr(-1) }, { name: `${prefix}/probabilities` });
    const context = b.node('MatMul', [probabilities, presentValue], {}, { name: `${prefix}/context` }); // [batch, heads, sequence, head_dim]
    const merged = b.node('Reshape', [
      b.node('Transpose', [context], { perm: intsAttr([0, 2, 1, 3]) }, { name: `${prefix}/context_bshd` }),
      b.int64Vector([0, 0, d]),
    ], {}, { name: `${prefix}/context_merged` });
    return this.linear(merged, weights.attnOutWeight, weights.attnOutBias, d, d, `${prefix}/c_proj`);
  }

  /** GPT-2's `gelu_new`: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
  private geluTanh(input: string, name: string): string {
    const b = this.builder;
    const cube = b.node('Mul', [b.node('Mul', [input, input], {}, { name: `${name}/square` }), input], {}, { name: `${name}/cube` });
    const inner = b.node('Add', [input, b.node('Mul', [cube, b.floatScalar(0.044715)], {}, { name: `${name}/cube_scaled` })], {}, { name: `${name}/inner` });
    const tanh = b.node('Tanh', [b.node('Mul', [inner, b.floatScalar(Math.sqrt(2 / Math.PI))], {}, { name: `${name}/tanh_input` })], {}, { name: `${name}/tanh` });
    const halfInput = b.node('Mul', [input, b.floatScalar(0.5)], {}, { name: `${name}/half_input` });
    return b.node('Mul', [halfInput, b.node('Add', [tanh, b.floatScalar(1)], {}, { name: `${name}/one_plus_tanh` })], {}, { name });
  }

  /** logits = hidden · tokenEmbeddingᵀ. */
  private lmHead(hidden: string, tokenTable: TokenTable): void {
    const b = this.builder;
    const vocab = this.config.vocabSize;
    if (tokenTable.fourBit) {
      this.matMulNBits(hidden, tokenTable.fourBit.tensors, tokenTable.fourBit.quantized, 'lm_head', 'logits');
      return;
    }
    // Gemm's transB reads the [vocab, d] table as is, so no transposed copy of the embedding is materialized.
    const flat = b.node('Reshape', [hidden, b.int64Vector([-1, this.d])], {}, { name: 'lm_head/flatten' });
    const flatLogits = b.node('Gemm', [flat, tokenTable.table], { transB: intAttr(1) }, { name: 'lm_head/Gemm' });
    const logitsShape = b.node('Concat', [
      b.node('Shape', ['input_ids'], {}, { name: 'lm_head/input_shape' }),
      b.int64Vector([vocab]),
    ], { axis: intAttr(0) }, { name: 'lm_head/logits_shape' });
    b.node('Reshape', [flatLogits, logitsShape], {}, { name: 'lm_head/unflatten', outputs: ['logits'] });
  }
}

interface FourBitTensorNames {
  packedWeights: string;
  scales: string;
  zeroPoints: string;
}

interface TokenTable {
  /** Float [vocab, d] table for the Gather. */
  table: string;
  /** q4 only: the MatMulNBits tensors the LM head multiplies with directly. */
  fourBit?: { tensors: FourBitTensorNames; quantized: FourBitBlockQuantized };
}
