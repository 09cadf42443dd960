/**
 * Test support: one seeded Llama-shape model written twice, as a model folder with an fp32 ONNX file
 * (for the transformers engine) and as a GGUF with the folder's vocabulary (for llama.cpp), so
 * that bench/llama-cpp.ts and the llama.cpp engine tests compare the same model.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SPECIAL_TOKEN_IDS, llamaFolderMetadataFiles, llamaOnnxFile, type LlamaWeights } from '../lab/model-builder';
import type { Gpt2GgufVocabulary } from '../lab/model-builder/gpt2-gguf';
import { llamaGguf } from '../lab/model-builder/llama-gguf';

/** Writes the folder `root/modelId` (metadata files and the fp32 ONNX file) and `root/modelId.gguf`; returns the GGUF's path. */
export async function writeLlamaShapeModel(root: string, modelId: string, weights: LlamaWeights): Promise<string> {
  const metadata = llamaFolderMetadataFiles(weights);
  const onnxFile = llamaOnnxFile(weights, 'fp32');
  for (const [path, content] of Object.entries({ ...metadata, [onnxFile.path]: onnxFile.bytes })) {
    await mkdir(dirname(join(root, modelId, path)), { recursive: true });
    await writeFile(join(root, modelId, path), content);
  }
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
