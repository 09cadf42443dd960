/**
 * Test fixtures for the engine: seeded random GPT-2 model folders on disk, and an independent
 * computation of the per-token figures — full logits from a plain onnxruntime-node session over
 * the whole sequence in one pass, then log-softmax / entropy / top-20 mean in float64 loops.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  SPECIAL_TOKEN_COUNT,
  modelFolderFiles,
  randomGpt2Weights,
  syntheticVocabulary,
  type Gpt2Config,
  type Gpt2WeightFormat,
} from '../../../../lab/model-builder';

export interface TestModel {
  /** Folder name under the root (the transformers.js model id). */
  id: string;
  config: Gpt2Config;
  seed: number;
}

export interface ModelRoot {
  root: string;
  remove(): Promise<void>;
}

/**
 * Writes each model's folder under a fresh temp root. The token embedding (also the tied LM head)
 * is scaled down so that next-token distributions are spread out rather than one-hot: entropy and
 * the top-20 mean then carry information.
 */
export async function writeModelFolders(models: readonly TestModel[], formats: readonly Gpt2WeightFormat[] = ['fp32']): Promise<ModelRoot> {
  const root = await mkdtemp(join(tmpdir(), 'engine-test-'));
  for (const model of models) {
    const weights = randomGpt2Weights(model.config, model.seed);
    for (let index = 0; index < weights.tokenEmbedding.length; index++) weights.tokenEmbedding[index] *= 0.3;
    const vocabulary = syntheticVocabulary(model.config.vocabSize - SPECIAL_TOKEN_COUNT);
    for (const [relativePath, content] of Object.entries(modelFolderFiles({ config: model.config, weights, vocabulary, formats }))) {
      const target = join(root, model.id, relativePath);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    }
  }
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

/** Float64 figures of every position p of a sequence: the distribution that predicts token p + 1. */
export interface IndependentFigures {
  /** logprob[p] = log p(token p+1 | tokens ≤ p); NaN for the last position. */
  logprob: Float64Array;
  entropy: Float64Array;
  topkMean: Float64Array;
}

/** One forward pass of the whole sequence through `onnxPath` with a plain InferenceSession. */
export async function fullLogits(onnxPath: string, tokenIds: readonly number[], config: Gpt2Config): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'] });
  try {
    const length = tokenIds.length;
    const int64 = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
    const headDim = config.embeddingDim / config.headCount;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64([...tokenIds]),
      attention_mask: int64(tokenIds.map(() => 1)),
      position_ids: int64(tokenIds.map((_, index) => index)),
    };
    for (let layer = 0; layer < config.layerCount; layer++) {
      for (const kind of ['key', 'value']) {
        feeds[`past_key_values.${layer}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, config.headCount, 0, headDim]);
      }
    }
    const outputs = await session.run(feeds);
    const logits = outputs.logits.data as Float32Array;
    const vocab = config.vocabSize;
    return Array.from({ length }, (_, position) => logits.slice(position * vocab, (position + 1) * vocab));
  } finally {
    await session.release();
  }
}

export function independentFigures(logitsRows: readonly Float32Array[], tokenIds: readonly number[]): IndependentFigures {
  const count = logitsRows.length;
  const figures: IndependentFigures = { logprob: new Float64Array(count), entropy: new Float64Array(count), topkMean: new Float64Array(count) };
  logitsRows.forEach((row, position) => {
    let max = -Infinity;
    for (const value of row) max = Math.max(max, value);
    let sumExp = 0;
    for (const value of row) sumExp += Math.exp(value - max);
    const logZ = max + Math.log(sumExp);
    const logp = Array.from(row, (value) => value - logZ);
    let entropy = 0;
    for (const value of logp) entropy -= Math.exp(value) * value;
    const k = Math.min(20, logp.length);
    const top = [...logp].sort((a, b) => b - a).slice(0, k);
    figures.entropy[position] = entropy;
    figures.topkMean[position] = top.reduce((a, b) => a + b, 0) / k;
    figures.logprob[position] = position + 1 < tokenIds.length ? logp[tokenIds[position + 1]] : Number.NaN;
  });
  return figures;
}

/** Seeded token ids in [SPECIAL_TOKEN_COUNT, vocabSize). */
export function randomTokenIds(count: number, vocabSize: number, seed: number): number[] {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => SPECIAL_TOKEN_COUNT + Math.floor(next() * (vocabSize - SPECIAL_TOKEN_COUNT)));
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let max = 0;
  for (let index = 0; index < a.length; index++) max = Math.max(max, Math.abs(a[index] - b[index]));
  return max;
}
