/**
 * A Llama-shape folder loads in the product's engine as a hub export would (transformers.js reads
 * config.json as `llama`, picks onnx/model_q4.onnx for dtype q4, builds the empty cache from the
 * graph's fixed key-value head dims), and the engine's per-token log-probs equal the float64
 * reference's log-softmax at the next token: the figures the benchmark times are the right ones.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPECIAL_TOKEN_IDS, llamaFolderMetadataFiles, randomLlamaWeights, type LlamaWeightFormat } from '../../../../lab/model-builder';
import { maxOf } from '../../../../src/core/arrays';
import { createTransformersEngine } from '../../../../src/core/engine/transformers';
import { nodeModelFiles } from '../../../../src/node/model-files';
import { SMALL_LLAMA_SHAPE, writeLlamaFolder } from '../../../../tools/llama-shape-model';
import { logSoftmax, referenceLlamaLogits } from './reference-llama';

const config = SMALL_LLAMA_SHAPE;
const weights = randomLlamaWeights(config, 5);
const modelId = 'llama-shape-test';
const tokenIds = Array.from({ length: 40 }, (_, index) => 4 + ((index * 37) % (config.vocabSize - 4)));
// Two scored ranges, the first starting at position 1 (the first token has no prediction).
const ranges = [
  { start: 1, end: 12 },
  { start: 20, end: 40 },
];
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'llama-shape-folder-'));
  await writeLlamaFolder(root, modelId, weights, ['fp32', 'q4']);
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('Llama-shape model folder in the product engine (onnxruntime-node)', () => {
  it('writes a config transformers.js reads as Llama with GQA and a tied head', () => {
    const json = JSON.parse(llamaFolderMetadataFiles(weights)['config.json']) as Record<string, unknown>;
    expect(json).toMatchObject({ model_type: 'llama', num_attention_heads: 4, num_key_value_heads: 2, head_dim: 16, tie_word_embeddings: true, bos_token_id: SPECIAL_TOKEN_IDS.bos });
  });

  it.each(['fp32', 'q4'] as const)('%s: log-probs of the scored tokens equal the float64 reference within 1e-4', async (dtype: LlamaWeightFormat) => {
    const engine = await createTransformersEngine({ files: nodeModelFiles, modelId, localModelPath: root, dtype, device: 'cpu', chunkSize: 16 });
    try {
      const figures = await engine.score(tokenIds, ranges);
      const reference = referenceLlamaLogits(weights, tokenIds, dtype).map(logSoftmax);
      const differences = ranges.flatMap((range, index) =>
        Array.from(figures[index].logprob, (logprob, offset) => {
          const position = range.start + offset;
          return Math.abs(logprob - reference[position - 1][tokenIds[position]]);
        }),
      );
      expect(differences).toHaveLength(31);
      expect(maxOf(differences)).toBeLessThan(1e-4);
      // Loaded as the bench measures it: the reduction inside the graph, the head on scored rows only.
      expect(engine.reductionPlacement).toBe('model-graph');
      expect(engine.logitRows).toBe('scored-only');
      expect(engine.vocabSize).toBe(config.vocabSize);
    } finally {
      await engine.dispose();
    }
  });
});
