/**
 * One memory measurement in a fresh process (so that one run's peak cannot hide in another's):
 *   node --import tsx bench/memory-child.ts MODEL_ROOT MODEL_ID TOKENS [DTYPE]
 * loads the model (DTYPE's ONNX file, fp32 by default) with the product's engine (onnxruntime-node, CPU), scores an agent-like
 * TOKENS-token trajectory and prints {"peakRssMB", "loadedRssMB", "scoredRssMB", "tokensPerSecond"}
 * (peak resident set size of the process: JavaScript heap, onnxruntime's arena and the weights;
 * after loading; resident after scoring, before the engine is released).
 */
import type { DataType } from '@huggingface/transformers';
import { createTransformersEngine } from '../src/core/engine/transformers';
import { maxOf } from '../src/core/arrays';
import { nodeModelFiles } from '../src/node/model-files';
import { agentRanges, randomTokens } from './models';

const MB = 1024 * 1024;
/** process.resourceUsage().maxRSS is in kilobytes. */
const peakRssMB = () => Math.round((process.resourceUsage().maxRSS * 1024) / MB);

async function main(): Promise<void> {
  const [root, modelId, tokensText, dtype = 'fp32'] = process.argv.slice(2);
  const tokens = Number(tokensText);
  if (!root || !modelId || !Number.isInteger(tokens) || tokens < 2) throw new Error('usage: memory-child.ts MODEL_ROOT MODEL_ID TOKENS [DTYPE]');
  const engine = await createTransformersEngine({ files: nodeModelFiles, modelId, localModelPath: root, dtype: dtype as DataType, device: 'cpu' });
  const loadedRssMB = peakRssMB();
  const tokenIds = randomTokens(tokens, engine.vocabSize, 5);
  const ranges = agentRanges(tokens, Math.min(2048, Math.floor(tokens / 8)), 9);
  const started = performance.now();
  await engine.score(tokenIds, ranges);
  const seconds = (performance.now() - started) / 1000;
  const forwarded = maxOf(ranges.map((range) => range.end - 1));
  // Resident now, the engine still holding its cache: what scoring holds, where the peak may be the load's.
  const scoredRssMB = Math.round(process.memoryUsage().rss / MB);
  await engine.dispose();
  process.stdout.write(`${JSON.stringify({ peakRssMB: peakRssMB(), loadedRssMB, scoredRssMB, tokensPerSecond: Math.round(forwarded / seconds) })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
