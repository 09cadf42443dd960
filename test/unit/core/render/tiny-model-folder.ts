/**
 * Test support: a tiny GPT-2 model folder written by the model-builder (word-level tokenizer, no ONNX
 * files: rendering needs the tokenizer only) into a temp dir, loaded with transformers.js from there.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { SPECIAL_TOKEN_COUNT, modelFolderFiles, randomGpt2Weights, type Gpt2Config } from '../../../../lab/model-builder';

export interface TinyModelFolders {
  /** Writes a folder `name` with this vocabulary (and chat template, else the builder's default) and loads its tokenizer. */
  loadTokenizer(name: string, vocabulary: readonly string[], chatTemplate?: string): Promise<PreTrainedTokenizer>;
  /** Restores transformers.js' env and deletes the temp dir. */
  dispose(): Promise<void>;
}

export async function tinyModelFolders(): Promise<TinyModelFolders> {
  const root = await mkdtemp(join(tmpdir(), 'render-tokenizer-'));
  const savedEnv = { allowRemoteModels: env.allowRemoteModels, allowLocalModels: env.allowLocalModels, localModelPath: env.localModelPath };
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = root;
  return {
    async loadTokenizer(name, vocabulary, chatTemplate) {
      const config: Gpt2Config = {
        vocabSize: SPECIAL_TOKEN_COUNT + vocabulary.length,
        contextLength: 8,
        embeddingDim: 4,
        layerCount: 1,
        headCount: 1,
      };
      const files = modelFolderFiles({ config, weights: randomGpt2Weights(config, 1), vocabulary, formats: [], chatTemplate });
      for (const [relativePath, content] of Object.entries(files)) {
        const target = join(root, name, relativePath);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, content);
      }
      return AutoTokenizer.from_pretrained(name);
    },
    async dispose() {
      Object.assign(env, savedEnv);
      await rm(root, { recursive: true, force: true });
    },
  };
}
