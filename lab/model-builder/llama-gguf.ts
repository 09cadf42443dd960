/**
 * A Llama-shape model (lab/model-builder/llama-shape.ts: RMSNorm, rotary positions, grouped-query
 * attention, SwiGLU, tied head) as a GGUF file with llama.cpp's `llama` architecture, f32, so the
 * llama.cpp engine can be checked against the ONNX engine on a SiLU model (no GELU table).
 *
 * Names and layout follow llama.cpp's converter (`convert_hf_to_gguf.py`, LlamaModel): PyTorch
 * Linear `[out, in]` is already ggml's `{in, out}`; the query and key rows are permuted per head
 * (LlamaModel.permute) because llama.cpp's `llama` rotates adjacent pairs (x0, x1), (x2, x3)… where
 * Hugging Face rotates the two halves of each head (rotate_half).
 */
import type { LlamaWeights } from './llama-weights';
import { encodeGguf, type GgufTensor, type GgufValue } from './gguf-writer';
import { vocabularyMetadata, type Gpt2GgufVocabulary } from './gpt2-gguf';

/** convert_hf_to_gguf's permute: in each head, row (half j, index i) moves to row 2i + j. */
function permuteRotaryRows(weight: Float32Array, heads: number, headDim: number, columns: number): Float32Array {
  const out = new Float32Array(weight.length);
  const half = headDim / 2;
  for (let head = 0; head < heads; head++) {
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < half; i++) {
        const from = (head * headDim + j * half + i) * columns;
        const to = (head * headDim + 2 * i + j) * columns;
        out.set(weight.subarray(from, from + columns), to);
      }
    }
  }
  return out;
}

export function llamaGguf(weights: LlamaWeights, vocabulary: Gpt2GgufVocabulary, name: string): Uint8Array {
  const { config } = weights;
  if (config.queryKeyNorm) throw new Error('llama GGUF: Qwen3 q/k norms are not written (llama.cpp reads them as qwen3)');
  const d = config.hiddenSize;
  const metadata: Array<readonly [string, GgufValue]> = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: name }],
    ['general.file_type', { type: 'uint32', value: 0 }],
    ['llama.context_length', { type: 'uint32', value: config.maxPositions }],
    ['llama.embedding_length', { type: 'uint32', value: d }],
    ['llama.feed_forward_length', { type: 'uint32', value: config.intermediateSize }],
    ['llama.block_count', { type: 'uint32', value: config.layerCount }],
    ['llama.attention.head_count', { type: 'uint32', value: config.headCount }],
    ['llama.attention.head_count_kv', { type: 'uint32', value: config.kvHeadCount }],
    ['llama.attention.key_length', { type: 'uint32', value: config.headDim }],
    ['llama.attention.value_length', { type: 'uint32', value: config.headDim }],
    ['llama.rope.dimension_count', { type: 'uint32', value: config.headDim }],
    ['llama.rope.freq_base', { type: 'float32', value: config.ropeTheta }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'float32', value: config.rmsNormEpsilon }],
    ...vocabularyMetadata(vocabulary),
  ];
  const tensor = (ggufName: string, name: string): GgufTensor => ({ name: ggufName, dims: [...weights.shapeOf(name)].reverse(), data: weights.tensor(name) });
  const tensors: GgufTensor[] = [tensor('token_embd.weight', 'embed_tokens')];
  for (let layer = 0; layer < config.layerCount; layer++) {
    const hf = `layers.${layer}`;
    const blk = `blk.${layer}`;
    const q = weights.tensor(`${hf}.self_attn.q_proj`);
    const k = weights.tensor(`${hf}.self_attn.k_proj`);
    tensors.push(
      tensor(`${blk}.attn_norm.weight`, `${hf}.input_layernorm`),
      { name: `${blk}.attn_q.weight`, dims: [d, config.headCount * config.headDim], data: permuteRotaryRows(q, config.headCount, config.headDim, d) },
      { name: `${blk}.attn_k.weight`, dims: [d, config.kvHeadCount * config.headDim], data: permuteRotaryRows(k, config.kvHeadCount, config.headDim, d) },
      tensor(`${blk}.attn_v.weight`, `${hf}.self_attn.v_proj`),
      tensor(`${blk}.attn_output.weight`, `${hf}.self_attn.o_proj`),
      tensor(`${blk}.ffn_norm.weight`, `${hf}.post_attention_layernorm`),
      tensor(`${blk}.ffn_gate.weight`, `${hf}.mlp.gate_proj`),
      tensor(`${blk}.ffn_up.weight`, `${hf}.mlp.up_proj`),
      tensor(`${blk}.ffn_down.weight`, `${hf}.mlp.down_proj`),
    );
  }
  tensors.push(tensor('output_norm.weight', 'norm'));
  return encodeGguf(metadata, tensors);
}
