/**
 * Test support: one seeded Llama-shape model written twice, as a model folder with an fp32 ONNX file
 * (for the transformers engine) and as a GGUF with the folder's vocabulary (for llama.cpp), so
 * that bench/llama-cpp.ts and the llama.cpp engine tests compare the same model; the folder alone
 * (any ONNX formats) and the unit tests' small shape are shared with the Llama folder test.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  SPECIAL_TOKEN_IDS,
  llamaFolderMetadataFiles,
  llamaOnnxFile,
  type LlamaShapeConfig,
  type LlamaWeightFormat,
  type LlamaWeights,
} from '../lab/model-builder';
import type { Gpt2GgufVocabulary } from '../lab/model-builder/gpt2-gguf';
import { llamaGguf } from '../lab/model-builder/llama-gguf';

/** The unit tests' small Llama shape: a 500-token vocabulary, 2 layers, 4 query heads over 2 key-value heads of 16 dims, no query-key norm. */
export const SMALL_LLAMA_SHAPE: LlamaShapeConfig = {
  vocabSize: 500,
  hiddenSize: 64,
  intermediateSize: 128,
  layerCount: 2,
  headCount: 4,
  kvHeadCount: 2,
  headDim: 16,
  maxPositions: 256,
  ropeTheta: 1e4,
  rmsNormEpsilon: 1e-6,
  queryKeyNorm: false,
};

/** Writes the model folder `root/modelId`: the metadata files and one ONNX file per format; returns the metadata files. */
export async function writeLlamaFolder(root: string, modelId: string, weights: LlamaWeights, formats: readonly LlamaWeightFormat[]): Promise<ReturnType<typeof llamaFolderMetadataFiles>> {
  const metadata = llamaFolderMetadataFiles(weights);
  const files: Record<string, string | Uint8Array> = { ...metadata };
  for (const format of formats) {
    const onnx = llamaOnnxFile(weights, format);
    files[onnx.path] = onnx.bytes;
  }
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, modelId, path)), { recursive: true });
    await writeFile(join(root, modelId, path), content);
  }
  return metadata;
}

/** Writes the folder `root/modelId` (metadata files and the fp32 ONNX file) and `root/modelId.gguf`; returns the GGUF's path. */
export async function writeLlamaShapeModel(root: string, modelId: string, weights: LlamaWeights): Promise<string> {
  const metadata = await writeLlamaFolder(root, modelId, weights, ['fp32']);
  const gguf = join(root, `${modelId}.gguf`);
  await writeFile(gguf, llamaGguf(weights, ggufVocabulary(metadata['tokenizer.json'], weights.config.vocabSize), modelId));
  return gguf;
}

/** The GGUF vocabulary of the folder's tokenizer.json: texts by id from its vocabulary and added tokens (the added tokens special), the builder's special token ids, a BOS added. */
function ggufVocabulary(tokenizerJson: string, vocabSize: number): Gpt2GgufVocabulary {
  const tokenizer = JSON.parse(tokenizerJson) as { model: { vocab: Record<string, number> }; added_tokens: { id: number; content: string }[] };
  const tokens = new Array<string>(vocabSize);
  for (const [text, id] of Object.entries(tokenizer.model.vocab)) tokens[id] = text;
  for (const added of tokenizer.added_tokens) tokens[added.id] = added.content;
  return {
    tokens,
    special: new Set(tokenizer.added_tokens.map((token) => token.id)),
    bosTokenId: SPECIAL_TOKEN_IDS.bos,
    eosTokenId: SPECIAL_TOKEN_IDS.eos,
    unkTokenId: SPECIAL_TOKEN_IDS.unk,
    padTokenId: SPECIAL_TOKEN_IDS.pad,
    addBos: true,
  };
}
