/**
 * The shape of a Llama / Qwen-style decoder (RMSNorm, rotary positions, grouped-query attention,
 * SwiGLU MLP, LM head tied to the token embedding): hyper-parameters, named sizes, parameter and
 * FLOP counts, and the Hugging Face `config.json` transformers.js reads to load it as `llama`.
 */

export interface LlamaShapeConfig {
  vocabSize: number;
  /** HF `hidden_size`. */
  hiddenSize: number;
  /** HF `intermediate_size` (the SwiGLU MLP's width). */
  intermediateSize: number;
  /** HF `num_hidden_layers`. */
  layerCount: number;
  /** HF `num_attention_heads` (query heads). */
  headCount: number;
  /** HF `num_key_value_heads`; divides headCount (grouped-query attention: headCount / kvHeadCount queries share a key/value head). */
  kvHeadCount: number;
  /** HF `head_dim`; even (rotary pairs). */
  headDim: number;
  /** HF `max_position_embeddings`: rows of the rotary tables. */
  maxPositions: number;
  /** HF `rope_theta`. */
  ropeTheta: number;
  /** HF `rms_norm_eps`. */
  rmsNormEpsilon: number;
  /** Qwen3's per-head RMSNorm of queries and keys before the rotation. */
  queryKeyNorm: boolean;
}

/**
 * Named sizes. `0.5b` has Qwen2.5-0.5B's dimensions (vocabulary 151,936, width 896, 24 layers,
 * 14 query / 2 key-value heads of 64, MLP 4,864: 494 M parameters) without its q/k/v biases;
 * `small` keeps the real vocabulary, head size and GQA ratio at a width a 2-core machine runs in
 * seconds per thousand tokens; `tiny` is for tests and `--quick`.
 */
export const LLAMA_SHAPE_PRESETS = {
  tiny: {
    vocabSize: 4000,
    hiddenSize: 64,
    intermediateSize: 160,
    layerCount: 2,
    headCount: 4,
    kvHeadCount: 2,
    headDim: 16,
    maxPositions: 4096,
    ropeTheta: 1e6,
    rmsNormEpsilon: 1e-6,
    queryKeyNorm: false,
  },
  small: {
    vocabSize: 151_936,
    hiddenSize: 512,
    intermediateSize: 1408,
    layerCount: 8,
    headCount: 8,
    kvHeadCount: 2,
    headDim: 64,
    maxPositions: 32_768,
    ropeTheta: 1e6,
    rmsNormEpsilon: 1e-6,
    queryKeyNorm: false,
  },
  '0.5b': {
    vocabSize: 151_936,
    hiddenSize: 896,
    intermediateSize: 4864,
    layerCount: 24,
    headCount: 14,
    kvHeadCount: 2,
    headDim: 64,
    maxPositions: 32_768,
    ropeTheta: 1e6,
    rmsNormEpsilon: 1e-6,
    queryKeyNorm: false,
  },
} as const satisfies Record<string, LlamaShapeConfig>;

export type LlamaShapeSize = keyof typeof LLAMA_SHAPE_PRESETS;
export const LLAMA_SHAPE_SIZES = Object.keys(LLAMA_SHAPE_PRESETS) as LlamaShapeSize[];

export function validateLlamaShapeConfig(config: LlamaShapeConfig): void {
  const positiveIntegers: Array<[string, number]> = [
    ['vocabSize', config.vocabSize],
    ['hiddenSize', config.hiddenSize],
    ['intermediateSize', config.intermediateSize],
    ['layerCount', config.layerCount],
    ['headCount', config.headCount],
    ['kvHeadCount', config.kvHeadCount],
    ['headDim', config.headDim],
    ['maxPositions', config.maxPositions],
  ];
  for (const [name, value] of positiveIntegers) {
    if (!Number.isInteger(value) || value <= 0) throw new Error(`Llama-shape config: ${name} must be a positive integer, got ${value}`);
  }
  if (config.headCount % config.kvHeadCount !== 0) {
    throw new Error(`Llama-shape config: kvHeadCount ${config.kvHeadCount} must divide headCount ${config.headCount}`);
  }
  if (config.headDim % 2 !== 0) throw new Error(`Llama-shape config: headDim must be even (rotary pairs), got ${config.headDim}`);
  if (!(config.ropeTheta > 1)) throw new Error(`Llama-shape config: ropeTheta must be > 1, got ${config.ropeTheta}`);
  if (!(config.rmsNormEpsilon > 0)) throw new Error(`Llama-shape config: rmsNormEpsilon must be > 0, got ${config.rmsNormEpsilon}`);
}

/** Every weight tensor by name with its shape; linear weights are `[out, in]` as PyTorch's nn.Linear stores them. */
export function llamaWeightShapes(config: LlamaShapeConfig): Map<string, readonly number[]> {
  const { hiddenSize: d, intermediateSize: m, headCount, kvHeadCount, headDim } = config;
  const shapes = new Map<string, readonly number[]>([['embed_tokens', [config.vocabSize, d]]]);
  for (let layer = 0; layer < config.layerCount; layer++) {
    const prefix = `layers.${layer}`;
    shapes.set(`${prefix}.input_layernorm`, [d]);
    shapes.set(`${prefix}.self_attn.q_proj`, [headCount * headDim, d]);
    shapes.set(`${prefix}.self_attn.k_proj`, [kvHeadCount * headDim, d]);
    shapes.set(`${prefix}.self_attn.v_proj`, [kvHeadCount * headDim, d]);
    if (config.queryKeyNorm) {
      shapes.set(`${prefix}.self_attn.q_norm`, [headDim]);
      shapes.set(`${prefix}.self_attn.k_norm`, [headDim]);
    }
    shapes.set(`${prefix}.self_attn.o_proj`, [d, headCount * headDim]);
    shapes.set(`${prefix}.post_attention_layernorm`, [d]);
    shapes.set(`${prefix}.mlp.gate_proj`, [m, d]);
    shapes.set(`${prefix}.mlp.up_proj`, [m, d]);
    shapes.set(`${prefix}.mlp.down_proj`, [d, m]);
  }
  shapes.set('norm', [d]);
  return shapes;
}

/** Parameters, the tied embedding counted once. */
export function llamaParameterCount(config: LlamaShapeConfig): number {
  let total = 0;
  for (const shape of llamaWeightShapes(config).values()) total += shape.reduce((product, size) => product * size, 1);
  return total;
}

/** Multiply-adds per token in the weight matrices of one layer (q, k, v, o projections and the three MLP matrices). */
const matrixParametersPerLayer = (config: LlamaShapeConfig): number => {
  const { hiddenSize: d, intermediateSize: m, headCount, kvHeadCount, headDim } = config;
  return d * headDim * (2 * headCount + 2 * kvHeadCount) + 3 * d * m;
};

/**
 * Forward FLOPs of `tokens` positions run as one sequence from position 0, with the vocabulary
 * head on `headRows` of them (all by default):
 *   2 × layers × matrix parameters per layer                  per token
 * + 2 × vocabulary × width                                    per head row
 * + 4 × layers × query heads × head_dim × attended keys       per token (QKᵀ and AV; token t attends t + 1 keys)
 * Norms, rotations, softmax and activations are left out (a few per cent at these widths).
 */
export function llamaForwardFlops(config: LlamaShapeConfig, tokens: number, headRows = tokens): number {
  const attendedKeys = (tokens * (tokens + 1)) / 2;
  return (
    2 * config.layerCount * matrixParametersPerLayer(config) * tokens +
    2 * config.vocabSize * config.hiddenSize * headRows +
    4 * config.layerCount * config.headCount * config.headDim * attendedKeys
  );
}

/** The formula of llamaForwardFlops in words (for reports). */
export const LLAMA_FLOPS_FORMULA =
  '2 × layers × (d·head_dim·(2·heads + 2·kv_heads) + 3·d·d_mlp) per token + 2 × V × d per head row + 4 × layers × heads × head_dim × attended keys (causal: token t attends t + 1)';

/** Bytes of the float32 KV cache per token: keys and values of every layer's key-value heads. */
export const llamaKvCacheBytesPerToken = (config: LlamaShapeConfig): number => 2 * config.layerCount * config.kvHeadCount * config.headDim * 4;

/**
 * HF `config.json` (transformers.js reads heads, head_dim and the cache layout from it): a
 * LlamaForCausalLM, or a Qwen3ForCausalLM when queries and keys are normed per head.
 */
export function buildLlamaConfigJson(config: LlamaShapeConfig, specialTokens: { bos: number; eos: number; pad: number }): Record<string, unknown> {
  return {
    architectures: [config.queryKeyNorm ? 'Qwen3ForCausalLM' : 'LlamaForCausalLM'],
    model_type: config.queryKeyNorm ? 'qwen3' : 'llama',
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.layerCount,
    num_attention_heads: config.headCount,
    num_key_value_heads: config.kvHeadCount,
    head_dim: config.headDim,
    hidden_act: 'silu',
    max_position_embeddings: config.maxPositions,
    rms_norm_eps: config.rmsNormEpsilon,
    rope_theta: config.ropeTheta,
    attention_bias: false,
    mlp_bias: false,
    tie_word_embeddings: true,
    use_cache: true,
    torch_dtype: 'float32',
    bos_token_id: specialTokens.bos,
    eos_token_id: specialTokens.eos,
    pad_token_id: specialTokens.pad,
  };
}
