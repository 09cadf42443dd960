/**
 * Test support for `score`: seeded random GPT-2 folders over a word-level vocabulary, the CLI as a
 * child process, and an independent computation of the figures — one plain onnxruntime-node
 * session over the whole sequence (full logits, no KV-cache chunks, no reduction graph), then
 * log-softmax, entropy and the top-20 mean in float64 loops.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { SPECIAL_TOKEN_COUNT, modelFolderFiles, randomGpt2Weights, type Gpt2Config } from '../../../../lab/model-builder';

export const ROOT = resolve(__dirname, '../../../..');

export interface ModelSpec {
  name: string;
  vocabulary: readonly string[];
  contextLength: number;
  embeddingDim: number;
  headCount: number;
  seed: number;
}

export function configOf(spec: ModelSpec): Gpt2Config {
  return {
    vocabSize: SPECIAL_TOKEN_COUNT + spec.vocabulary.length,
    contextLength: spec.contextLength,
    embeddingDim: spec.embeddingDim,
    layerCount: 2,
    headCount: spec.headCount,
  };
}

/** Writes `root/name/` (fp32 only). The token embedding, also the tied LM head, is scaled down so distributions are spread out. */
export async function writeModelFolder(root: string, spec: ModelSpec): Promise<string> {
  const config = configOf(spec);
  const weights = randomGpt2Weights(config, spec.seed);
  for (let index = 0; index < weights.tokenEmbedding.length; index++) weights.tokenEmbedding[index] *= 0.3;
  const folder = join(root, spec.name);
  for (const [relativePath, content] of Object.entries(modelFolderFiles({ config, weights, vocabulary: spec.vocabulary, formats: ['fp32'] }))) {
    const target = join(folder, relativePath);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  return folder;
}

/** Rewrites keys of a folder's tokenizer_config.json (e.g. another eos token over the same vocabulary). */
export async function patchTokenizerConfig(folder: string, patch: Record<string, unknown>): Promise<void> {
  const path = join(folder, 'tokenizer_config.json');
  const config = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  await writeFile(path, `${JSON.stringify({ ...config, ...patch }, null, 2)}\n`);
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `progress-advantage <args>` as the npm script runs it, from the repository root. */
export function runCli(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'src/cli/main.ts', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, stdout, stderr }));
  });
}

/** Runs the tasks at most `limit` at a time (the machine has two cores), results in order. */
export async function runLimited<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/** Float64 figures of every position p: the distribution that predicts token p + 1. */
export interface ReferenceFigures {
  /** logprob[p] = log p(token p+1 | tokens ≤ p); NaN at the last position. */
  logprob: Float64Array;
  entropy: Float64Array;
  topkMean: Float64Array;
}

/** Full logits of the whole sequence in one pass of a plain session, reduced in float64. */
export async function independentFigures(folder: string, config: Gpt2Config, tokenIds: readonly number[]): Promise<ReferenceFigures> {
  const session = await ort.InferenceSession.create(join(folder, 'onnx/model.onnx'), { executionProviders: ['cpu'] });
  try {
    const length = tokenIds.length;
    const int64 = (values: readonly number[]) => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), [1, values.length]);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64(tokenIds),
      attention_mask: int64(tokenIds.map(() => 1)),
      position_ids: int64(tokenIds.map((_, index) => index)),
    };
    const headDim = config.embeddingDim / config.headCount;
    for (let layer = 0; layer < config.layerCount; layer++) {
      for (const kind of ['key', 'value']) {
        feeds[`past_key_values.${layer}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, config.headCount, 0, headDim]);
      }
    }
    const logits = (await session.run(feeds)).logits.data as Float32Array;
    const vocab = config.vocabSize;
    const figures: ReferenceFigures = { logprob: new Float64Array(length), entropy: new Float64Array(length), topkMean: new Float64Array(length) };
    for (let position = 0; position < length; position++) {
      const row = logits.subarray(position * vocab, (position + 1) * vocab);
      let max = -Infinity;
      for (const value of row) max = Math.max(max, value);
      let sumExp = 0;
      for (const value of row) sumExp += Math.exp(value - max);
      const logZ = max + Math.log(sumExp);
      const logp = Array.from(row, (value) => value - logZ);
      let entropy = 0;
      for (const value of logp) entropy -= Math.exp(value) * value;
      const top = [...logp].sort((a, b) => b - a).slice(0, Math.min(20, vocab));
      figures.entropy[position] = entropy;
      figures.topkMean[position] = top.reduce((sum, value) => sum + value, 0) / top.length;
      figures.logprob[position] = position + 1 < length ? logp[tokenIds[position + 1]] : Number.NaN;
    }
    return figures;
  } finally {
    await session.release();
  }
}

/** The independent figures of tokens [start, end): token t is predicted at position t − 1. */
export function tokenSlice(values: Float64Array, start: number, end: number): number[] {
  return Array.from(values.subarray(start - 1, end - 1));
}

export function maxAbsDifference(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let max = 0;
  for (let index = 0; index < a.length; index++) max = Math.max(max, Math.abs(a[index] - b[index]));
  return max;
}
