import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, Tensor, env, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SPECIAL_TOKEN_COUNT,
  SPECIAL_TOKEN_IDS,
  modelFolderFiles,
  randomGpt2Weights,
  wordLevelVocabularyFromTexts,
  type Gpt2Config,
  type Gpt2WeightFormat,
} from '../../../../lab/model-builder';
import { effectiveWeights, logSoftmax, maxAbsDifference, referenceGpt2Logits, referenceGreedyTokens } from './reference-gpt2';

const corpus = [
  'the agent opened the file and ran the test.',
  'user: fix the bug in main.ts, then run it again!',
  'assistant: done. all 12 tests pass now.',
  'tool: error at line 7',
];
const vocabulary = wordLevelVocabularyFromTexts(corpus);
const config: Gpt2Config = {
  vocabSize: SPECIAL_TOKEN_COUNT + vocabulary.length,
  contextLength: 64,
  embeddingDim: 32,
  layerCount: 2,
  headCount: 4,
};
const weights = randomGpt2Weights(config, 7);
const modelId = 'tiny-gpt2';
const sampleText = 'the agent ran the test again. all tests pass now!';

let tmpRoot: string;
let tokenizer: PreTrainedTokenizer;
const models = new Map<Gpt2WeightFormat, PreTrainedModel>();
const savedEnv = { allowRemoteModels: env.allowRemoteModels, allowLocalModels: env.allowLocalModels, localModelPath: env.localModelPath };

beforeAll(async () => {
  tmpRoot = await mkdtemp(join(tmpdir(), 'gpt2-builder-'));
  for (const [relativePath, content] of Object.entries(modelFolderFiles({ config, weights, vocabulary }))) {
    const target = join(tmpRoot, modelId, relativePath);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = tmpRoot;
  tokenizer = await AutoTokenizer.from_pretrained(modelId);
  for (const dtype of ['fp32', 'fp16', 'q8', 'q4'] as const) {
    models.set(dtype, await AutoModelForCausalLM.from_pretrained(modelId, { dtype }));
  }
});

afterAll(async () => {
  for (const model of models.values()) await model.dispose();
  Object.assign(env, savedEnv);
  if (tmpRoot) await rm(tmpRoot, { recursive: true, force: true });
});

function encode(text: string): { ids: number[]; inputs: { input_ids: Tensor; attention_mask: Tensor } } {
  const { input_ids, attention_mask } = tokenizer(text) as { input_ids: Tensor; attention_mask: Tensor };
  return { ids: Array.from(input_ids.data as BigInt64Array, Number), inputs: { input_ids, attention_mask } };
}

/** Per-position logits rows of a [1, sequence, vocab] tensor. */
function rows(logits: Tensor): Float32Array[] {
  const [, sequence, vocab] = logits.dims;
  const data = logits.data as Float32Array;
  return Array.from({ length: sequence }, (_, position) => data.subarray(position * vocab, (position + 1) * vocab));
}

async function forwardLogits(dtype: Gpt2WeightFormat, text: string): Promise<Float32Array[]> {
  const output = (await models.get(dtype)!(encode(text).inputs)) as { logits: Tensor };
  expect(output.logits.dims).toEqual([1, encode(text).ids.length, config.vocabSize]);
  return rows(output.logits);
}

describe('model folder loaded by transformers.js', () => {
  it('tokenizes the sample fully in-vocabulary with a leading <bos>', () => {
    const { ids } = encode(sampleText);
    expect(ids[0]).toBe(SPECIAL_TOKEN_IDS.bos);
    expect(ids).not.toContain(SPECIAL_TOKEN_IDS.unk);
    expect(tokenizer.decode(ids, { skip_special_tokens: true })).toBe(sampleText);
  });

  it('fp32: model({input_ids, attention_mask}) matches the float64 reference within 1e-4', async () => {
    const logits = await forwardLogits('fp32', sampleText);
    const reference = referenceGpt2Logits(config, weights, encode(sampleText).ids);
    const maxError = Math.max(...logits.map((row, position) => maxAbsDifference(row, reference[position])));
    expect(maxError).toBeLessThan(1e-4);
  });

  it.each(['fp16', 'q4'] as const)('%s: logits match the reference run with that form’s stored weights', async (dtype) => {
    const logits = await forwardLogits(dtype, sampleText);
    const reference = referenceGpt2Logits(config, effectiveWeights(config, weights, dtype), encode(sampleText).ids);
    const maxError = Math.max(...logits.map((row, position) => maxAbsDifference(row, reference[position])));
    expect(maxError).toBeLessThan(1e-4);
  });

  it('fp32 generate() uses the KV cache and reproduces greedy decoding of the reference', async () => {
    const { ids, inputs } = encode('user: fix the bug');
    const maxNewTokens = 8;
    const generated = (await models.get('fp32')!.generate({ ...inputs, max_new_tokens: maxNewTokens, do_sample: false })) as Tensor;
    const generatedIds = Array.from(generated.data as BigInt64Array, Number);
    expect(generatedIds).toEqual(referenceGreedyTokens(config, weights, ids, maxNewTokens, SPECIAL_TOKEN_IDS.eos));
  });

  it.each(['fp16', 'q8', 'q4'] as const)('%s generate() runs', async (dtype) => {
    const { ids, inputs } = encode('assistant: done');
    const generated = (await models.get(dtype)!.generate({ ...inputs, max_new_tokens: 5, do_sample: false })) as Tensor;
    expect(generated.dims[1]).toBeGreaterThan(ids.length);
    expect(generated.dims[1]).toBeLessThanOrEqual(ids.length + 5);
  });

  it('quantized forms stay close to fp32 in log-probabilities', async () => {
    const texts = [sampleText, corpus[1], corpus[2]];
    const errors: Record<string, { maxOverVocab: number; meanNextToken: number }> = {};
    for (const dtype of ['fp16', 'q8', 'q4'] as const) {
      let maxOverVocab = 0;
      let nextTokenErrorSum = 0;
      let nextTokenCount = 0;
      for (const text of texts) {
        const { ids } = encode(text);
        const fp32 = (await forwardLogits('fp32', text)).map(logSoftmax);
        const quantized = (await forwardLogits(dtype, text)).map(logSoftmax);
        fp32.forEach((row, position) => {
          maxOverVocab = Math.max(maxOverVocab, maxAbsDifference(row, quantized[position]));
          if (position + 1 < ids.length) {
            // The log-prob of the token that actually follows: what advantage scores are built from.
            nextTokenErrorSum += Math.abs(row[ids[position + 1]] - quantized[position][ids[position + 1]]);
            nextTokenCount++;
          }
        });
      }
      errors[dtype] = { maxOverVocab, meanNextToken: nextTokenErrorSum / nextTokenCount };
    }
    console.log(`|Δ log p| vs fp32 (${config.layerCount} layers, width ${config.embeddingDim}, vocab ${config.vocabSize}, seed-fixed random weights):`, errors);
    // Deterministic inputs; the bounds leave ~1.5–2× room over the measured values (fp16 ≈ 0.012 / 0.003,
    // q8 ≈ 0.33 / 0.06, q4 ≈ 5.0 / 0.8 for max-over-vocab / mean-next-token). Non-zero errors, growing
    // from fp16 to q8 to q4, also prove each dtype loaded its own file.
    expect(errors.fp16.maxOverVocab).toBeGreaterThan(0);
    expect(errors.fp16.maxOverVocab).toBeLessThan(0.03);
    expect(errors.q8.maxOverVocab).toBeLessThan(0.6);
    expect(errors.q4.maxOverVocab).toBeLessThan(8);
    expect(errors.fp16.meanNextToken).toBeLessThan(errors.q8.meanNextToken);
    expect(errors.q8.meanNextToken).toBeLessThan(errors.q4.meanNextToken);
    expect(errors.q4.meanNextToken).toBeLessThan(1.5);
  });
});
