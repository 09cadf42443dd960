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
import { plainForwardMs } from '../plain-forward';

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
  /** Key-value heads of the cache inputs (grouped-query attention); headCount when absent. */
  kvHeadCount?: number;
  /** embeddingDim / headCount when absent. */
  headDim?: number;
}

export interface WasmThroughputRequest {
  /** URL path of the folder holding the model folders (served by the preview server). */
  modelsPath: string;
  modelId: string;
  shape: ModelShape;
  /** tokens + 1 ids: the engine scores [1, tokens + 1), the plain session forwards the first `tokens`. */
  tokenIds: number[];
  repetitions: number;
  /** transformers.js dtype of the engine and the file the plain session reads (default fp32, onnx/model.onnx). */
  dtype?: 'fp32' | 'q4';
  onnxFile?: string;
  /** Positions per plain-session run, carrying the KV cache (default: all in one run). */
  plainChunk?: number;
  /** false: time the engine only (plainTokensPerSecond and engineVsPlainWasm are then null). */
  comparePlain?: boolean;
}

export interface WasmThroughputResult {
  engineTokensPerSecond: number;
  plainTokensPerSecond: number | null;
  /** Median of per-repetition (engine ÷ plain) on onnxruntime-web. */
  engineVsPlainWasm: number | null;
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

async function loadEngine(request: { modelsPath: string; modelId: string; dtype?: 'fp32' | 'q4' }, device: 'wasm' | 'webgpu'): Promise<TransformersEngine> {
  return createTransformersEngine({ files: browserModelFiles, modelId: request.modelId, localModelPath: request.modelsPath, dtype: request.dtype ?? 'fp32', device });
}

const logprobsOf = (figures: TokenFigures[][]): number[] => figures.flatMap((sequence) => sequence.flatMap((range) => Array.from(range.logprob)));

const api = {
  async wasmThroughput(request: WasmThroughputRequest): Promise<WasmThroughputResult> {
    const engine = await loadEngine(request, 'wasm');
    let plain: ort.InferenceSession | null = null;
    try {
      const comparePlain = request.comparePlain ?? true;
      if (comparePlain) {
        const response = await fetch(`${request.modelsPath}${request.modelId}/${request.onnxFile ?? 'onnx/model.onnx'}`);
        plain = await ort.InferenceSession.create(new Uint8Array(await response.arrayBuffer()), { executionProviders: ['wasm'] });
      }
      const tokens = request.tokenIds.length - 1;
      const everyToken: TokenRange[] = [{ start: 1, end: tokens + 1 }];
      const forwarded = request.tokenIds.slice(0, tokens);
      const { shape } = request;
      const plainShape = { vocabSize: shape.vocabSize, layerCount: shape.layerCount, kvHeadCount: shape.kvHeadCount ?? shape.headCount, headDim: shape.headDim ?? shape.embeddingDim / shape.headCount };
      const plainTime = () => plainForwardMs(ort.Tensor, plain!, plainShape, forwarded, request.plainChunk ?? forwarded.length);
      if (plain) await plainTime();
      await engine.score(request.tokenIds, everyToken);
      engine.resetStats();
      const ratios: number[] = [];
      const engineMs: number[] = [];
      const plainMs: number[] = [];
      for (let repetition = 0; repetition < request.repetitions; repetition++) {
        const plainElapsed = plain ? await plainTime() : null;
        const started = performance.now();
        await engine.score(request.tokenIds, everyToken);
        const engineTime = performance.now() - started;
        engineMs.push(engineTime);
        if (plainElapsed !== null) {
          plainMs.push(plainElapsed);
          ratios.push(plainElapsed / engineTime);
        }
      }
      const stats = engine.stats;
      return {
        engineTokensPerSecond: Math.round((tokens * 1000) / median(engineMs)),
        plainTokensPerSecond: plain ? Math.round((tokens * 1000) / median(plainMs)) : null,
        engineVsPlainWasm: plain ? median(ratios) : null,
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
