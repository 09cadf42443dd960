/**
 * The files of a Llama-shape model folder in the layout transformers.js loads
 * (`AutoModelForCausalLM.from_pretrained(id, { dtype })`): config.json, generation_config.json,
 * a word-level tokenizer over a synthetic vocabulary (the benchmark feeds token ids; the tokenizer
 * is there so the folder is complete), and onnx/model.onnx (fp32) and/or onnx/model_q4.onnx.
 * Pure: returns bytes and strings; the caller writes them.
 */
import { buildGenerationConfigJson } from './model-folder';
import { LLAMA_ONNX_FILE_BY_FORMAT, buildLlamaOnnx, type LlamaWeightFormat } from './llama-onnx';
import { buildLlamaConfigJson } from './llama-shape';
import type { LlamaWeights } from './llama-weights';
import {
  SPECIAL_TOKEN_COUNT,
  SPECIAL_TOKEN_IDS,
  buildTokenizerConfigJson,
  buildWordLevelTokenizerJson,
  syntheticVocabulary,
} from '../../src/demo/word-level-tokenizer';

const toJsonText = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Relative path → content, without the ONNX files (see llamaOnnxFile). */
export function llamaFolderMetadataFiles(weights: LlamaWeights): Record<string, string> {
  const { config } = weights;
  if (config.vocabSize <= SPECIAL_TOKEN_COUNT) throw new Error(`Llama-shape folder: vocabSize ${config.vocabSize} leaves no room past the ${SPECIAL_TOKEN_COUNT} special tokens`);
  return {
    'config.json': toJsonText(buildLlamaConfigJson(config, SPECIAL_TOKEN_IDS)),
    'generation_config.json': toJsonText(buildGenerationConfigJson()),
    // Compact: a 151,936-entry vocabulary indented would be twice the size for nothing.
    'tokenizer.json': `${JSON.stringify(buildWordLevelTokenizerJson(syntheticVocabulary(config.vocabSize - SPECIAL_TOKEN_COUNT)))}\n`,
    'tokenizer_config.json': toJsonText(buildTokenizerConfigJson({ modelMaxLength: config.maxPositions })),
  };
}

/** The relative path and bytes of one weight format's graph (built one at a time: a 0.5 B graph is hundreds of MB). */
export function llamaOnnxFile(weights: LlamaWeights, format: LlamaWeightFormat): { path: string; bytes: Uint8Array } {
  return { path: LLAMA_ONNX_FILE_BY_FORMAT[format], bytes: buildLlamaOnnx(weights, format) };
}
