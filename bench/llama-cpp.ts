/**
 * `llamaCppVsOnnx`: the llama.cpp engine (`score --engine llama.cpp`, src/node/llama-cpp-engine.ts)
 * against the ONNX engine (`score`, transformers.js on onnxruntime-node) on one model written both
 * ways by lab/model-builder: a seeded Llama-shape model (SiLU, so the two agree within 1e-4) as an
 * fp32 ONNX folder and as an f32 `llama` GGUF. Each engine scores every position of the same token
 * sequence once (log-prob, entropy, top-20 mean: the figures a record holds), after a short warm-up,
 * on the CPU with the CLI's defaults (llama.cpp: every core; onnxruntime: its default threads).
 * Figure: llama.cpp's tokens/s ÷ the ONNX engine's; both rates, llama.cpp with one thread
 * (`--threads 1`: ggml's threads spin-wait for each other, which a busy machine punishes) and the
 * largest log-prob difference are in the details. Loading is not timed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SPECIAL_TOKEN_IDS, llamaParameterCount, randomLlamaWeights, type LlamaShapeConfig } from '../lab/model-builder';
import type { ScoringEngine } from '../src/core/engine';
import { createTransformersEngine } from '../src/core/engine/transformers';
import { createLlamaCppEngine } from '../src/node/llama-cpp-engine';
import { nodeModelFiles } from '../src/node/model-files';
import { writeLlamaShapeModel } from '../tools/llama-shape-model';

export const LLAMA_CPP_GROUPS = { llamaCppVsOnnx: 'llamaCpp' } as const;

export interface LlamaCppDetails {
  model: { vocabSize: number; hiddenSize: number; layerCount: number; parametersM: number };
  tokens: number;
  llamaCppTokensPerSecond: number;
  /** The same with `--threads 1`. */
  llamaCppOneThreadTokensPerSecond: number;
  onnxTokensPerSecond: number;
  /** llama.cpp's device and GGUF file type, e.g. `llama.cpp/cpu/ALL_F32`. */
  llamaCppEngine: string;
  maxLogprobDifference: number;
}

export interface LlamaCppFigures {
  llamaCppVsOnnx: number;
  details: LlamaCppDetails;
}

/** ≈ 39 M parameters (a 32k vocabulary, 8 layers of 512): big enough that the model, not the harness, takes the time. */
const FULL: { config: LlamaShapeConfig; tokens: number } = {
  config: { vocabSize: 32_000, hiddenSize: 512, intermediateSize: 1408, layerCount: 8, headCount: 8, kvHeadCount: 2, headDim: 64, maxPositions: 4096, ropeTheta: 1e6, rmsNormEpsilon: 1e-6, queryKeyNorm: false },
  tokens: 1024,
};
const QUICK: typeof FULL = {
  config: { vocabSize: 2000, hiddenSize: 64, intermediateSize: 160, layerCount: 2, headCount: 4, kvHeadCount: 2, headDim: 16, maxPositions: 512, ropeTheta: 1e6, rmsNormEpsilon: 1e-6, queryKeyNorm: false },
  tokens: 128,
};

/** Seconds to score every position of `tokens` once. */
async function timeScoring(engine: ScoringEngine, tokens: readonly number[]): Promise<{ seconds: number; logprob: Float32Array }> {
  await engine.score(tokens.slice(0, 32), [{ start: 1, end: 32 }]);
  await engine.releasePrefixCache();
  const started = performance.now();
  const [figures] = await engine.score(tokens, [{ start: 1, end: tokens.length }]);
  const seconds = (performance.now() - started) / 1000;
  return { seconds, logprob: figures.logprob };
}

export async function measureLlamaCpp(quick: boolean, log: (line: string) => void): Promise<LlamaCppFigures> {
  const { config, tokens: count } = quick ? QUICK : FULL;
  const root = await mkdtemp(join(tmpdir(), 'bench-llama-cpp-'));
  const engines: ScoringEngine[] = [];
  try {
    const weights = randomLlamaWeights(config, 5);
    const modelId = 'llama-shape';
    const gguf = await writeLlamaShapeModel(root, modelId, weights);
    const tokens = Array.from({ length: count }, (_, index) => (index === 0 ? SPECIAL_TOKEN_IDS.bos : 4 + ((index * 7919 + 13) % (config.vocabSize - 4))));

    const llama = await createLlamaCppEngine({ modelPath: gguf, gpu: false, contextSize: count });
    engines.push(llama);
    const llamaRun = await timeScoring(llama, tokens);
    log(`llama.cpp (${llama.description}, every core): ${count} tokens in ${llamaRun.seconds.toFixed(2)} s`);
    const oneThread = await createLlamaCppEngine({ modelPath: gguf, gpu: false, contextSize: count, threads: 1 });
    engines.push(oneThread);
    const oneThreadRun = await timeScoring(oneThread, tokens);
    log(`llama.cpp (${oneThread.description}, 1 thread): ${count} tokens in ${oneThreadRun.seconds.toFixed(2)} s`);
    const onnx = await createTransformersEngine({ files: nodeModelFiles, modelId, localModelPath: root, dtype: 'fp32', device: 'cpu' });
    engines.push(onnx);
    const onnxRun = await timeScoring(onnx, tokens);
    log(`onnx (${onnx.description}): ${count} tokens in ${onnxRun.seconds.toFixed(2)} s`);

    let maxLogprobDifference = 0;
    for (let index = 0; index < onnxRun.logprob.length; index++) maxLogprobDifference = Math.max(maxLogprobDifference, Math.abs(onnxRun.logprob[index] - llamaRun.logprob[index]));
    const rate = (seconds: number) => Math.round((count - 1) / seconds);
    const llamaCppTokensPerSecond = rate(llamaRun.seconds);
    const onnxTokensPerSecond = rate(onnxRun.seconds);
    return {
      llamaCppVsOnnx: Number((llamaCppTokensPerSecond / onnxTokensPerSecond).toFixed(2)),
      details: {
        model: { vocabSize: config.vocabSize, hiddenSize: config.hiddenSize, layerCount: config.layerCount, parametersM: Number((llamaParameterCount(config) / 1e6).toFixed(1)) },
        tokens: count,
        llamaCppTokensPerSecond,
        llamaCppOneThreadTokensPerSecond: rate(oneThreadRun.seconds),
        onnxTokensPerSecond,
        llamaCppEngine: llama.description,
        maxLogprobDifference: Number(maxLogprobDifference.toExponential(2)),
      },
    };
  } finally {
    await Promise.allSettled(engines.map((engine) => engine.dispose()));
    await rm(root, { recursive: true, force: true });
  }
}

export function llamaCppTargetLines(figures: LlamaCppFigures | null): { label: string; value: string; target: string; met: boolean | null }[] {
  if (!figures) return [{ label: 'llamaCppVsOnnx', value: 'not measured', target: 'report', met: null }];
  const { details } = figures;
  return [
    {
      label: 'llamaCppVsOnnx',
      value: `${figures.llamaCppVsOnnx} (${details.llamaCppEngine} ${details.llamaCppTokensPerSecond} tokens/s on every core, ${details.llamaCppOneThreadTokensPerSecond} on 1 thread, vs ONNX fp32 ${details.onnxTokensPerSecond} tokens/s; ${details.model.parametersM} M-parameter Llama shape, ${details.tokens} tokens, every position; log-probs within ${details.maxLogprobDifference.toExponential(1)})`,
      target: 'report',
      met: null,
    },
  ];
}
