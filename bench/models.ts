/**
 * Benchmark fixtures: builder-made GPT-2 model folders of realistic shape (seeded random weights),
 * seeded token sequences, and agent-like scored ranges (assistant turns between longer prompts
 * and tool outputs).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  SPECIAL_TOKEN_COUNT,
  mlpDimOf,
  modelFolderFiles,
  mulberry32,
  randomGpt2Weights,
  syntheticVocabulary,
  type Gpt2Config,
} from '../lab/model-builder';
import type { TokenRange } from '../src/core/engine';

export interface BenchModel {
  /** Folder name under the root (the transformers.js model id). */
  id: string;
  config: Gpt2Config;
}

export interface ModelFolders {
  root: string;
  /** `root/id/onnx/model.onnx` of a model. */
  onnxPath(id: string): string;
  remove(): Promise<void>;
}

/** Writes fp32 folders (config, tokenizer, onnx/model.onnx) for each model under a fresh temp root. */
export async function writeBenchModels(models: readonly BenchModel[], seed = 1): Promise<ModelFolders> {
  const root = await mkdtemp(join(tmpdir(), 'pa-bench-models-'));
  for (const model of models) await writeModelFolder(root, model, seed);
  return {
    root,
    onnxPath: (id) => join(root, id, 'onnx', 'model.onnx'),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

export async function writeModelFolder(root: string, model: BenchModel, seed = 1): Promise<void> {
  const weights = randomGpt2Weights(model.config, seed);
  const vocabulary = syntheticVocabulary(model.config.vocabSize - SPECIAL_TOKEN_COUNT);
  for (const [relativePath, content] of Object.entries(modelFolderFiles({ config: model.config, weights, vocabulary, formats: ['fp32'] }))) {
    const target = join(root, model.id, relativePath);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

/** Parameters of the builder's GPT-2: embeddings (the LM head is tied), and per layer attention + MLP + 2 LayerNorms. */
export function parameterCount(config: Gpt2Config): { total: number; perLayer: number; tokenEmbedding: number; positionEmbedding: number } {
  const d = config.embeddingDim;
  const mlp = mlpDimOf(config);
  const attention = d * 3 * d + 3 * d + d * d + d;
  const feedForward = d * mlp + mlp + mlp * d + d;
  const perLayer = attention + feedForward + 4 * d;
  const tokenEmbedding = config.vocabSize * d;
  const positionEmbedding = config.contextLength * d;
  return { total: tokenEmbedding + positionEmbedding + config.layerCount * perLayer + 2 * d, perLayer, tokenEmbedding, positionEmbedding };
}

/**
 * Forward FLOPs of `tokens` positions run as one sequence (from position 0):
 *   2 × (layers × matrix parameters per layer + vocab × width)   per token (the weight matrices and the tied LM head)
 * + 4 × layers × width × attended keys                             per token (QKᵀ and AV, 2 FLOPs per multiply-add)
 * where token t attends to t + 1 keys (causal). Embedding lookups, LayerNorm, softmax and GELU are left out.
 */
export function forwardFlops(config: Gpt2Config, tokens: number): number {
  const d = config.embeddingDim;
  const matrixParametersPerLayer = 4 * d * d + 2 * d * mlpDimOf(config);
  const perToken = 2 * (config.layerCount * matrixParametersPerLayer + config.vocabSize * d);
  const attendedKeys = (tokens * (tokens + 1)) / 2;
  return tokens * perToken + 4 * config.layerCount * d * attendedKeys;
}

/** Seeded token ids in [SPECIAL_TOKEN_COUNT, vocabSize). */
export function randomTokens(count: number, vocabSize: number, seed: number): number[] {
  const uniform = mulberry32(seed);
  return Array.from({ length: count }, () => SPECIAL_TOKEN_COUNT + Math.floor(uniform() * (vocabSize - SPECIAL_TOKEN_COUNT)));
}

/**
 * Scored ranges of an agent trajectory of `length` tokens after a `promptLength`-token prompt:
 * alternating observation (user / tool output) and assistant turns, assistant turns scored.
 * About `actionShare` of the tokens after the prompt are scored.
 */
export function agentRanges(length: number, promptLength: number, seed: number, actionShare = 0.35): TokenRange[] {
  const uniform = mulberry32(seed);
  const ranges: TokenRange[] = [];
  let position = Math.max(1, promptLength);
  while (position < length) {
    const observation = 20 + Math.floor(uniform() * 120 * (1 - actionShare) * 2);
    const action = 10 + Math.floor(uniform() * 120 * actionShare * 2);
    const start = Math.min(length, position + observation);
    const end = Math.min(length, start + action);
    if (end > start) ranges.push({ start, end });
    position = end;
  }
  return ranges;
}

export const scoredTokenCount = (ranges: readonly TokenRange[]): number => ranges.reduce((sum, range) => sum + range.end - range.start, 0);
