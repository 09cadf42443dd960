/** Test support: two seeded random GPT-2 folders (policy, reference) whose word-level vocabulary covers given texts. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SPECIAL_TOKEN_COUNT, modelFolderFiles, randomGpt2Weights, wordLevelVocabularyFromTexts, type Gpt2Config } from '../lab/model-builder';

export function writeRandomPair(root: string, texts: readonly string[], contextLength = 512): void {
  const vocabulary = wordLevelVocabularyFromTexts(texts);
  const config: Gpt2Config = { vocabSize: SPECIAL_TOKEN_COUNT + vocabulary.length, contextLength, embeddingDim: 32, layerCount: 2, headCount: 4 };
  for (const [name, seed] of [['policy', 21], ['reference', 22]] as const) {
    for (const [path, content] of Object.entries(modelFolderFiles({ config, weights: randomGpt2Weights(config, seed), vocabulary, formats: ['fp32'] }))) {
      const target = join(root, name, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
  }
}
