/**
 * Benchmark worker: the product's engine (createTransformersEngine: chunked KV cache, reduction in
 * the model graph, prefix reuse) on onnxruntime-web, set up as the scoring worker sets it up
 * (self-hosted runtime, WASM threads), next to a plain onnxruntime-web session on the same model.
 */
import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web/webgpu';
import { env } from '@huggingface/transformers';
import { createTransformersEngine, type TransformersEngine } from '../../src/core/engine/transformers';
import { browserModelFiles, configureWasmThreads } from '../../src/worker/browser-model-host';
import type { TokenFigures, TokenRange } from '../../src/core/engine/types';

const ORT_BASE = new URL('/ort/', self.location.origin).href;
const onnxWasm = env.backends.onnx.wasm as { wasmPaths?: unknown } | undefined;
if (onnxWasm) onnxWasm.wasmPaths = { mjs: `${ORT_BASE}ort-wasm-simd-threaded.asyncify.mjs`, wasm: `${ORT_BASE}ort-wasm-simd-threaded.asyncify.wasm` };
env.useWasmCache = false;
const threads = configureWasmThreads();

export interface ModelShape {
  vocabSize: number;
  embeddingDim: number;
  layerCount: number;
  headCount: number;
}

export interface WasmThroughputRequest {
  /** URL path of the folder holding the model folders (served by the preview server). */
  modelsPath: string;
  modelId: string;
  shape: ModelShape;
  /** tokens + 1 ids: the engine scores [1, tokens + 1), the plain session forwards the first `tokens`. */
  tokenIds: number[];
  repetitions: number;
}

export interface WasmThroughputResult {
  engineTokensPerSecond: number;
  plainTokensPerSecond: number;
  /** Median of per-repetition (engine ÷ plain) on onnxruntime-web. */
  engineVsPlainWasm: number;
  threads: number;
  crossOriginIsolated: boolean;
  reductionPlacement: string;
  kvCacheMode: string;
  bytesPerToken: number;
}

export interface WebGpuCheckRequest {
  modelsPath: string;
  modelId: string;
  sequences: { tokenIds: number[]; ranges: TokenRange[] }[];
}

export interface WebGpuCheckResult {
  /** Largest |log-prob(WebGPU) − log-prob(WASM)| over every scored token. */
  maxAbsDifference: number;
  /** Same with the group scored by scoreMany (prefix reuse) on WebGPU against fresh WASM figures. */
  reuseMaxAbsDifference: number;
  tokensCompared: number;
  adapter: string;
  description: string;
  logitsPlacement: string;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function plainForwardMs(session: ort.InferenceSession, shape: ModelShape, tokenIds: readonly number[]): Promise<number> {
  const length = tokenIds.length;
  const int64 = (valueAt: (index: number) => number) => new ort.Tensor('int64', BigInt64Array.from({ length }, (_, index) => BigInt(valueAt(index))), [1, length]);
  const feeds: Record<string, ort.Tensor> = { input_ids: int64((index) => tokenIds[index]), attention_mask: int64(() => 1), position_ids: int64((index) => index) };
  const headDim = shape.embeddingDim / shape.headCount;
  for (let layer = 0; layer < shape.layerCount; layer++) {
    for (const kind of ['key', 'value']) feeds[`past_key_values.${layer}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, shape.headCount, 0, headDim]);
  }
  const started = performance.now();
  const outputs = await session.run(feeds);
  const elapsed = performance.now() - started;
  if ((outputs.logits.data as Float32Array).length !== length * shape.vocabSize) throw new Error('plain forward: unexpected logits size');
  return elapsed;
}

async function loadEngine(request: { modelsPath: string; modelId: string }, device: 'wasm' | 'webgpu'): Promise<TransformersEngine> {
  return createTransformersEngine({ files: browserModelFiles, modelId: request.modelId, localModelPath: request.modelsPath, dtype: 'fp32', device });
}

const logprobsOf = (figures: TokenFigures[][]): number[] => figures.flatMap((sequence) => sequence.flatMap((range) => Array.from(range.logprob)));

const api = {
  async wasmThroughput(request: WasmThroughputRequest): Promise<WasmThroughputResult> {
    const engine = await loadEngine(request, 'wasm');
    let plain: ort.InferenceSession | null = null;
    try {
      const response = await fetch(`${request.modelsPath}${request.modelId}/onnx/model.onnx`);
      plain = await ort.InferenceSession.create(new Uint8Array(await response.arrayBuffer()), { executionProviders: ['wasm'] });
      const tokens = request.tokenIds.length - 1;
      const everyToken: TokenRange[] = [{ start: 1, end: tokens + 1 }];
      const forwarded = request.tokenIds.slice(0, tokens);
      await plainForwardMs(plain, request.shape, forwarded);
      await engine.score(request.tokenIds, everyToken);
      engine.resetStats();
      const ratios: number[] = [];
      const engineMs: number[] = [];
      const plainMs: number[] = [];
      for (let repetition = 0; repetition < request.repetitions; repetition++) {
        const plainTime = await plainForwardMs(plain, request.shape, forwarded);
        const started = performance.now();
        await engine.score(request.tokenIds, everyToken);
        const engineTime = performance.now() - started;
        plainMs.push(plainTime);
        engineMs.push(engineTime);
        ratios.push(plainTime / engineTime);
      }
      const stats = engine.stats;
      return {
        engineTokensPerSecond: Math.round((tokens * 1000) / median(engineMs)),
        plainTokensPerSecond: Math.round((tokens * 1000) / median(plainMs)),
        engineVsPlainWasm: median(ratios),
        threads,
        crossOriginIsolated: self.crossOriginIsolated,
        reductionPlacement: engine.reductionPlacement,
        kvCacheMode: engine.kvCacheMode,
        bytesPerToken: stats.bytesReadBack / stats.tokensScored,
      };
    } finally {
      await plain?.release();
      await engine.dispose();
    }
  },

  async webgpuVsWasm(request: WebGpuCheckRequest): Promise<WebGpuCheckResult> {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string; description?: string } } | null> } }).gpu;
    const adapter = gpu ? await gpu.requestAdapter() : null;
    if (!adapter) throw new Error('no WebGPU adapter in this browser');
    const adapterName = [adapter.info?.vendor, adapter.info?.architecture, adapter.info?.description].filter(Boolean).join(' ');
    const wasm = await loadEngine(request, 'wasm');
    const fresh: TokenFigures[][] = [];
    try {
      for (const sequence of request.sequences) fresh.push(await wasm.score(sequence.tokenIds, sequence.ranges));
    } finally {
      await wasm.dispose();
    }
    const webgpu = await loadEngine(request, 'webgpu');
    try {
      const onGpu: TokenFigures[][] = [];
      for (const sequence of request.sequences) onGpu.push(await webgpu.score(sequence.tokenIds, sequence.ranges));
      const reused = await webgpu.scoreMany(request.sequences);
      const expected = logprobsOf(fresh);
      const difference = (actual: number[]) => actual.reduce((max, value, index) => Math.max(max, Math.abs(value - expected[index])), 0);
      const gpuLogprobs = logprobsOf(onGpu);
      if (gpuLogprobs.length !== expected.length) throw new Error('WebGPU and WASM scored different numbers of tokens');
      return {
        maxAbsDifference: difference(gpuLogprobs),
        reuseMaxAbsDifference: difference(logprobsOf(reused)),
        tokensCompared: expected.length,
        adapter: adapterName,
        description: webgpu.description,
        logitsPlacement: webgpu.logitsPlacement,
      };
    } finally {
      await webgpu.dispose();
    }
  },
};

export type BenchWorkerApi = typeof api;
Comlink.expose(api);
