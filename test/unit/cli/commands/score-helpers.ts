/**
 * Test support for `score`: seeded random GPT-2 folders over a word-level vocabulary, the CLI as a
 * child process, and an independent computation of the figures — one plain onnxruntime-node
 * session over the whole sequence (full logits, no KV-cache chunks, no reduction graph), then
 * log-softmax, entropy and the top-20 mean in float64 loops.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fullLogits, independentFigures as figuresOfLogits, type IndependentFigures } from '../../core/engine/helpers';

export { maxAbsDifference } from '../../core/engine/helpers';
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

/** Float64 figures of every position p: the distribution that predicts token p + 1 (the engine tests' own computation). */
export type ReferenceFigures = IndependentFigures;

/** Full logits of the whole sequence in one pass of a plain session, reduced in float64. */
export async function independentFigures(folder: string, config: Gpt2Config, tokenIds: readonly number[]): Promise<ReferenceFigures> {
  return figuresOfLogits(await fullLogits(join(folder, 'onnx/model.onnx'), tokenIds, config), tokenIds);
}

/** The independent figures of tokens [start, end): token t is predicted at position t − 1. */
export function tokenSlice(values: Float64Array, start: number, end: number): number[] {
  return Array.from(values.subarray(start - 1, end - 1));
}
