/**
 * The files of a model folder in the layout transformers.js loads with
 * `AutoModelForCausalLM.from_pretrained(id, { dtype })` / `AutoTokenizer.from_pretrained(id)`:
 *
 *   config.json, generation_config.json, tokenizer.json, tokenizer_config.json,
 *   onnx/model.onnx (fp32), onnx/model_fp16.onnx, onnx/model_quantized.onnx (q8), onnx/model_q4.onnx
 *
 * Pure: returns the bytes and strings; the caller writes them (fs, OPFS, a zip…).
 */
import {
  GPT2_WEIGHT_FORMATS,
  ONNX_FILE_BY_WEIGHT_FORMAT,
  buildGpt2Onnx,
  type Gpt2WeightFormat,
} from './gpt2-onnx';
import { layerNormEpsilonOf, mlpDimOf, validateGpt2Config, type Gpt2Config, type Gpt2Weights } from '../../src/demo/gpt2-weights';
import {
  SPECIAL_TOKEN_COUNT,
  SPECIAL_TOKEN_IDS,
  buildTokenizerConfigJson,
  buildWordLevelTokenizerJson,
  type WordLevelTokenizerOptions,
} from '../../src/demo/word-level-tokenizer';

export interface ModelFolderSpec {
  config: Gpt2Config;
  weights: Gpt2Weights;
  /** Ordinary tokenizer pieces (ids from SPECIAL_TOKEN_COUNT on); config.vocabSize must cover them. */
  vocabulary: readonly string[];
  /** Which ONNX files to write; all four by default. */
  formats?: readonly Gpt2WeightFormat[];
  tokenizer?: WordLevelTokenizerOptions;
  /** Jinja chat template; defaults to `role: content` lines. */
  chatTemplate?: string;
}

/** HF `config.json` for a GPT-2 with this package's special-token ids. */
export function buildGpt2ConfigJson(config: Gpt2Config): Record<string, unknown> {
  return {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: config.vocabSize,
    n_positions: config.contextLength,
    n_ctx: config.contextLength,
    n_embd: config.embeddingDim,
    n_layer: config.layerCount,
    n_head: config.headCount,
    n_inner: mlpDimOf(config),
    activation_function: 'gelu_new',
    layer_norm_epsilon: layerNormEpsilonOf(config),
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    scale_attn_weights: true,
    tie_word_embeddings: true,
    use_cache: true,
    bos_token_id: SPECIAL_TOKEN_IDS.bos,
    eos_token_id: SPECIAL_TOKEN_IDS.eos,
    pad_token_id: SPECIAL_TOKEN_IDS.pad,
  };
}

export function buildGenerationConfigJson(): Record<string, unknown> {
  return {
    bos_token_id: SPECIAL_TOKEN_IDS.bos,
    eos_token_id: SPECIAL_TOKEN_IDS.eos,
    pad_token_id: SPECIAL_TOKEN_IDS.pad,
    do_sample: false,
  };
}

const toJsonText = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Relative path → file content (JSON as text, ONNX as bytes). */
export function modelFolderFiles(spec: ModelFolderSpec): Record<string, Uint8Array | string> {
  const { config, weights, vocabulary } = spec;
  validateGpt2Config(config);
  const tokenizerSize = SPECIAL_TOKEN_COUNT + vocabulary.length;
  if (config.vocabSize < tokenizerSize) {
    throw new Error(`Model vocabSize ${config.vocabSize} is smaller than the tokenizer's ${tokenizerSize} tokens`);
  }
  const tokenizerOptions = spec.tokenizer ?? {};
  const files: Record<string, Uint8Array | string> = {
    'config.json': toJsonText(buildGpt2ConfigJson(config)),
    'generation_config.json': toJsonText(buildGenerationConfigJson()),
    'tokenizer.json': toJsonText(buildWordLevelTokenizerJson(vocabulary, tokenizerOptions)),
    'tokenizer_config.json': toJsonText(
      buildTokenizerConfigJson({ ...tokenizerOptions, modelMaxLength: config.contextLength, chatTemplate: spec.chatTemplate }),
    ),
  };
  for (const format of spec.formats ?? GPT2_WEIGHT_FORMATS) {
    files[ONNX_FILE_BY_WEIGHT_FORMAT[format]] = buildGpt2Onnx(config, weights, { weightFormat: format });
  }
  return files;
}
