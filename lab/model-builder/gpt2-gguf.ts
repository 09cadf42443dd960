/**
 * A GPT-2 model folder (the demo pair's layout: config.json, tokenizer.json, onnx/model.onnx) as a
 * GGUF file llama.cpp loads with its `gpt2` architecture, f32 weights, so the llama.cpp engine can
 * be checked against the ONNX engine on the same weights.
 *
 * Names and shapes follow llama.cpp's GPT-2 loader (`llama-model.cpp`, LLM_ARCH_GPT2, tensor names
 * from `llama-arch.cpp`) and its converter (`convert_hf_to_gguf.py`, GPT2Model): the fused QKV,
 * attention output and MLP matrices are Hugging Face Conv1D `[in, out]` and are transposed to
 * ggml's `[out rows of in]`; embeddings keep their rows; the LM head is tied (no `output.weight`,
 * llama.cpp then uses the token embedding).
 *
 * Tokenizer metadata: the vocabulary's ids and texts as a byte-level BPE vocabulary
 * (`tokenizer.ggml.model = gpt2`, texts in GPT-2's byte-to-unicode alphabet) with the special ids.
 * No merges are written: the product never tokenizes with a GGUF's vocabulary (trajectories are
 * rendered and tokenized by the model's Hugging Face tokenizer, as for the ONNX engine), so only
 * the id → text table matters (llama.cpp's detokenizer).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gpt2WeightsFromOnnx } from '../../src/demo/onnx-weights';
import { layerNormEpsilonOf, mlpDimOf, type Gpt2Config, type Gpt2Weights } from '../../src/demo/gpt2-weights';
import { encodeGguf, type GgufTensor, type GgufValue } from './gguf-writer';

/** llama.cpp's token types (`llama_token_type`). */
const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3 } as const;

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 onwards. */
function byteToUnicodeTable(): string[] {
  const printable = (byte: number) => (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
  const table: string[] = [];
  let next = 0;
  for (let byte = 0; byte < 256; byte++) table.push(String.fromCodePoint(printable(byte) ? byte : 256 + next++));
  return table;
}

const BYTE_TO_UNICODE = byteToUnicodeTable();

/** A token's text in the byte-level alphabet llama.cpp's `gpt2` vocabulary stores (" shop" → "Ġshop"). */
export function byteLevelText(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) out += BYTE_TO_UNICODE[byte];
  return out;
}

/** Hugging Face Conv1D `[rows = in, cols = out]` → ggml `[out][in]` (row-major out × in). */
function transpose(matrix: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(matrix.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = matrix[r * cols + c];
  return out;
}

export interface Gpt2GgufVocabulary {
  /** Token text by id (as the tokenizer writes it, not byte-level encoded). */
  tokens: readonly string[];
  /** Ids of special (control) tokens. */
  special: ReadonlySet<number>;
  bosTokenId: number | null;
  eosTokenId: number | null;
  unkTokenId: number | null;
  padTokenId: number | null;
  addBos: boolean;
}

/** The tokenizer.ggml.* key/values of a vocabulary as a byte-level BPE vocabulary (`gpt2`, with no merges: see above). */
export function vocabularyMetadata(vocabulary: Gpt2GgufVocabulary): Array<readonly [string, GgufValue]> {
  const metadata: Array<readonly [string, GgufValue]> = [
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: 'default' }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: vocabulary.tokens.map((text, id) => (vocabulary.special.has(id) ? text : byteLevelText(text))) }],
    ['tokenizer.ggml.token_type', { type: 'int32[]', value: vocabulary.tokens.map((_, id) => (id === vocabulary.unkTokenId ? TOKEN_TYPE.unknown : vocabulary.special.has(id) ? TOKEN_TYPE.control : TOKEN_TYPE.normal)) }],
    ['tokenizer.ggml.merges', { type: 'string[]', value: [] }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: vocabulary.addBos }],
  ];
  const ids: Array<[string, number | null]> = [
    ['tokenizer.ggml.bos_token_id', vocabulary.bosTokenId],
    ['tokenizer.ggml.eos_token_id', vocabulary.eosTokenId],
    ['tokenizer.ggml.unknown_token_id', vocabulary.unkTokenId],
    ['tokenizer.ggml.padding_token_id', vocabulary.padTokenId],
  ];
  for (const [key, id] of ids) if (id !== null) metadata.push([key, { type: 'uint32', value: id }]);
  return metadata;
}

export function gpt2Gguf(config: Gpt2Config, weights: Gpt2Weights, vocabulary: Gpt2GgufVocabulary, name: string): Uint8Array {
  const d = config.embeddingDim;
  const m = mlpDimOf(config);
  if (vocabulary.tokens.length !== config.vocabSize) throw new Error(`GGUF: ${vocabulary.tokens.length} token texts for a vocabulary of ${config.vocabSize}`);
  const metadata: Array<readonly [string, GgufValue]> = [
    ['general.architecture', { type: 'string', value: 'gpt2' }],
    ['general.name', { type: 'string', value: name }],
    // 0 = all f32 (llama_ftype LLAMA_FTYPE_ALL_F32).
    ['general.file_type', { type: 'uint32', value: 0 }],
    ['gpt2.context_length', { type: 'uint32', value: config.contextLength }],
    ['gpt2.embedding_length', { type: 'uint32', value: d }],
    ['gpt2.feed_forward_length', { type: 'uint32', value: m }],
    ['gpt2.block_count', { type: 'uint32', value: config.layerCount }],
    ['gpt2.attention.head_count', { type: 'uint32', value: config.headCount }],
    ['gpt2.attention.layer_norm_epsilon', { type: 'float32', value: layerNormEpsilonOf(config) }],
    ...vocabularyMetadata(vocabulary),
  ];

  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [d, config.vocabSize], data: weights.tokenEmbedding },
    { name: 'position_embd.weight', dims: [d, config.contextLength], data: weights.positionEmbedding },
  ];
  weights.layers.forEach((layer, i) => {
    const blk = `blk.${i}`;
    tensors.push(
      { name: `${blk}.attn_norm.weight`, dims: [d], data: layer.ln1Scale },
      { name: `${blk}.attn_norm.bias`, dims: [d], data: layer.ln1Bias },
      { name: `${blk}.attn_qkv.weight`, dims: [d, 3 * d], data: transpose(layer.attnQkvWeight, d, 3 * d) },
      { name: `${blk}.attn_qkv.bias`, dims: [3 * d], data: layer.attnQkvBias },
      { name: `${blk}.attn_output.weight`, dims: [d, d], data: transpose(layer.attnOutWeight, d, d) },
      { name: `${blk}.attn_output.bias`, dims: [d], data: layer.attnOutBias },
      { name: `${blk}.ffn_norm.weight`, dims: [d], data: layer.ln2Scale },
      { name: `${blk}.ffn_norm.bias`, dims: [d], data: layer.ln2Bias },
      { name: `${blk}.ffn_up.weight`, dims: [d, m], data: transpose(layer.mlpInWeight, d, m) },
      { name: `${blk}.ffn_up.bias`, dims: [m], data: layer.mlpInBias },
      { name: `${blk}.ffn_down.weight`, dims: [m, d], data: transpose(layer.mlpOutWeight, m, d) },
      { name: `${blk}.ffn_down.bias`, dims: [d], data: layer.mlpOutBias },
    );
  });
  tensors.push({ name: 'output_norm.weight', dims: [d], data: weights.finalNormScale }, { name: 'output_norm.bias', dims: [d], data: weights.finalNormBias });
  return encodeGguf(metadata, tensors);
}

interface TokenizerJson {
  model: { vocab: Record<string, number> };
  added_tokens?: { id: number; content: string; special?: boolean }[];
}

interface ConfigJson {
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  n_inner?: number | null;
  layer_norm_epsilon?: number;
  bos_token_id?: number;
  eos_token_id?: number;
  pad_token_id?: number;
}

/** Reads a GPT-2 folder (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx) and writes it as one GGUF file. */
export async function writeGpt2GgufFromFolder(folder: string, outFile: string): Promise<void> {
  const read = async <T>(file: string): Promise<T> => JSON.parse(await readFile(join(folder, file), 'utf8')) as T;
  const configJson = await read<ConfigJson>('config.json');
  const tokenizer = await read<TokenizerJson>('tokenizer.json');
  const tokenizerConfig = await read<{ add_bos_token?: boolean; unk_token?: string }>('tokenizer_config.json');
  const config: Gpt2Config = {
    vocabSize: configJson.vocab_size,
    contextLength: configJson.n_positions,
    embeddingDim: configJson.n_embd,
    layerCount: configJson.n_layer,
    headCount: configJson.n_head,
    ...(configJson.n_inner ? { mlpDim: configJson.n_inner } : {}),
    ...(configJson.layer_norm_epsilon !== undefined ? { layerNormEpsilon: configJson.layer_norm_epsilon } : {}),
  };
  const tokens = new Array<string>(config.vocabSize);
  for (const [text, id] of Object.entries(tokenizer.model.vocab)) tokens[id] = text;
  for (const added of tokenizer.added_tokens ?? []) tokens[added.id] = added.content;
  const missing = tokens.findIndex((text) => text === undefined);
  if (missing >= 0 || tokens.length !== config.vocabSize) throw new Error(`${folder}/tokenizer.json: no token text for id ${missing} of ${config.vocabSize}`);
  const special = new Set((tokenizer.added_tokens ?? []).filter((token) => token.special).map((token) => token.id));
  const unk = tokenizerConfig.unk_token !== undefined ? tokens.indexOf(tokenizerConfig.unk_token) : -1;
  const weights = gpt2WeightsFromOnnx(await readFile(join(folder, 'onnx/model.onnx')), config);
  const bytes = gpt2Gguf(
    config,
    weights,
    {
      tokens,
      special,
      bosTokenId: configJson.bos_token_id ?? null,
      eosTokenId: configJson.eos_token_id ?? null,
      unkTokenId: unk >= 0 ? unk : null,
      padTokenId: configJson.pad_token_id ?? null,
      addBos: tokenizerConfig.add_bos_token ?? false,
    },
    folder.split(/[\\/]/).filter(Boolean).pop() ?? 'gpt2',
  );
  await writeFile(outFile, bytes);
}
