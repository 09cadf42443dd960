/**
 * The scoring worker: loads the (policy, reference) pair with transformers.js on WebGPU or WASM,
 * renders each trajectory, runs one chunked forward pass per model and sends back the per-token
 * figures. When WebGPU fails (at load or mid-job, e.g. a lost device) the pair is reloaded on WASM,
 * the fallback is reported, and the job resumes at the trajectory that failed.
 */
import * as Comlink from 'comlink';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { configureWasmThreads, createTransformersEngine, type TransformersEngine } from '../core/engine/transformers-engine';
import { scorePair, scoreStepLevel, type NotScoredStep } from '../core/engine/pair';
import { fromTransformersTokenizer } from '../core/tokenizer';
import { pairTokenizers, transformersTokenizerIdentity, type TokenizerIdentity } from '../core/models/tokenizer-pairing';
import { renderTrajectory } from '../core/render';
import type { RenderMode } from '../core/render/types';
import type { TokenizerLike } from '../core/engine/types';
import type { ScoreRecord } from '../core/scores/format';
import { packRecordOf, packedBuffers, type PackedRecordOf } from '../core/scores/packed';
import type { Trajectory } from '../core/trajectory/types';
import { chooseDevice, type Device, type DeviceChoice, type DevicePreference, type ModelDtype } from './device';
import { DROPPED_MODELS_PREFIX, fetchWithDroppedFolders, registerDroppedFolder } from './model-files';

/** Where a model comes from: a folder the app serves (the demo pair), a dropped folder, or the hub. */
export type ModelSource =
  | { kind: 'served'; baseUrl: string; id: string }
  | { kind: 'dropped'; id: string }
  | { kind: 'hub'; id: string };

export interface LoadPairRequest {
  policy: ModelSource;
  reference: ModelSource;
  dtype: ModelDtype;
  device: DevicePreference;
  /** Testing aid: make the next WebGPU forward pass fail as a lost device would. */
  injectWebGpuFailure?: 'load' | 'run';
}

export interface LoadedModelInfo {
  id: string;
  description: string;
  maxContext: number;
  vocabSize: number;
  /** The tokenizer's vocabulary fingerprint (ids, tokens, special tokens): part of the score cache's pair identity. */
  vocabularyFingerprint: string;
  /** `device`: logits never leave the GPU (reduced there); `cpu`: computed on the CPU (WASM). */
  logitsPlacement: 'device' | 'cpu';
  /** `model-graph`: reduced inside the model's own graph (12 bytes per token leave the runtime); `separate-session`: in a second session. */
  reductionPlacement: 'model-graph' | 'separate-session';
  /** `append-only`: each chunk's new cache rows are appended in place; `present-outputs`: the whole cache is handed back per chunk (on the GPU for WebGPU). */
  kvCacheMode: 'append-only' | 'present-outputs';
  /** `scored-only`: the LM head computes the logits of scored tokens only; `every-position`: of every token forwarded. */
  logitRows: 'scored-only' | 'every-position';
}

export interface PairStatus {
  device: DeviceChoice;
  policy: LoadedModelInfo;
  reference: LoadedModelInfo;
  /** null when the tokenizers match (token-level scores); else why only step-level scores exist. */
  tokenizerMismatch: string | null;
  /** Token-level scores with a caveat (same vocabulary, different special-token roles), else null. */
  tokenizerNotice: string | null;
  /** Set when WebGPU failed and the pair now runs on WASM. */
  fallback: string | null;
}

export interface LoadProgress {
  model: 'policy' | 'reference';
  file: string;
  loaded: number;
  total: number;
}

export interface TrajectoryToScore {
  key: string;
  trajectory: Trajectory;
}

export interface ScoredTrajectory {
  key: string;
  record: ScoreRecord;
  notScored: NotScoredStep[];
  /** True when the models' tokenizers differ: steps hold one summed log-likelihood each. */
  stepLevelOnly: boolean;
  /** Tokens in the rendered sequence. */
  tokens: number;
  /** Rendered tokens of each message (context messages too), for folded views that say how many are hidden. */
  messageTokenCounts: number[];
  /** Tokens run through the two models (nothing after the last scored token is run). */
  forwardedTokens: number;
  /** Where the figures came from: a device, or a score file read as it is. */
  device: Device | 'precomputed';
}

export interface JobProgress {
  trajectoriesDone: number;
  trajectoriesTotal: number;
  tokensDone: number;
  tokensTotal: number;
  elapsedMs: number;
}

/** A result as it crosses to the page: the record packed, its buffers transferred (see core/scores/packed.ts). */
export type PackedScoredTrajectory = PackedRecordOf<ScoredTrajectory>;

export interface JobCallbacks {
  onProgress?(progress: JobProgress): void;
  /** Unpack with `unpackScoredTrajectory` (scoringClient.ts). */
  onResult?(result: PackedScoredTrajectory): void;
  onError?(key: string, message: string): void;
  onFallback?(status: PairStatus): void;
}

interface LoadedPair {
  request: LoadPairRequest;
  device: DeviceChoice;
  policy: TransformersEngine;
  reference: TransformersEngine;
  policyTokenizer: TokenizerLike;
  referenceTokenizer: TokenizerLike;
  tokenizerMismatch: string | null;
  tokenizerNotice: string | null;
  fallback: string | null;
}

const ORT_BASE = new URL('/ort/', self.location.origin).href;
const onnxWasm = env.backends.onnx.wasm as { wasmPaths?: unknown } | undefined;
if (onnxWasm) {
  // Self-hosted runtime (vite.config.ts serves it): no CDN, works offline and under COEP.
  onnxWasm.wasmPaths = { mjs: `${ORT_BASE}ort-wasm-simd-threaded.asyncify.mjs`, wasm: `${ORT_BASE}ort-wasm-simd-threaded.asyncify.wasm` };
}
env.fetch = fetchWithDroppedFolders(fetch.bind(self));
// transformers.js would re-serve onnxruntime's glue script from a blob: URL, which the app's
// Content-Security-Policy does not allow as a script source; the self-hosted file is imported as it is.
env.useWasmCache = false;
// One WASM thread per core (the app is cross-origin isolated; 1 thread where it is not).
// One core stays with the page: on a 2-core machine two WASM threads starve the UI while scoring.
configureWasmThreads(1);

const PROGRESS_INTERVAL_MS = 100;

let pair: LoadedPair | null = null;
let injectedFailure: LoadPairRequest['injectWebGpuFailure'];
const cancelled = new Set<number>();
let nextJobId = 1;

function sourceLocation(source: ModelSource): { modelId: string; localModelPath?: string } {
  switch (source.kind) {
    case 'served':
      // A path, not a URL: transformers.js only reads "local" models from paths (a full URL counts as remote).
      return { modelId: source.id, localModelPath: new URL(source.baseUrl, self.location.origin).pathname };
    case 'dropped':
      return { modelId: source.id, localModelPath: DROPPED_MODELS_PREFIX };
    case 'hub':
      return { modelId: source.id };
  }
}

async function loadTokenizerFrom(source: ModelSource): Promise<{ tokenizer: TokenizerLike; identity: TokenizerIdentity }> {
  const { modelId, localModelPath } = sourceLocation(source);
  const saved = { allowLocalModels: env.allowLocalModels, allowRemoteModels: env.allowRemoteModels, localModelPath: env.localModelPath };
  if (localModelPath !== undefined) Object.assign(env, { allowLocalModels: true, allowRemoteModels: false, localModelPath });
  try {
    const raw = await AutoTokenizer.from_pretrained(modelId);
    const tokenizer = fromTransformersTokenizer(raw);
    return { tokenizer, identity: transformersTokenizerIdentity(raw, tokenizer) };
  } finally {
    Object.assign(env, saved);
  }
}

async function loadEngines(request: LoadPairRequest, device: Device, onProgress?: (p: LoadProgress) => void) {
  if (device === 'webgpu' && injectedFailure === 'load') {
    injectedFailure = undefined;
    throw new Error('injected WebGPU failure at load');
  }
  const load = (which: 'policy' | 'reference') =>
    createTransformersEngine({
      ...sourceLocation(request[which]),
      dtype: request.dtype,
      device,
      onLoadProgress: (info: unknown) => {
        const p = info as { status?: string; file?: string; loaded?: number; total?: number };
        if (p.status === 'progress' && p.file) onProgress?.({ model: which, file: p.file, loaded: p.loaded ?? 0, total: p.total ?? 0 });
      },
    });
  // One after the other: onnxruntime-web initialises one session at a time anyway.
  const policy = await load('policy');
  try {
    const reference = await load('reference');
    return { policy, reference };
  } catch (error) {
    await policy.dispose();
    throw error;
  }
}

function statusOf(p: LoadedPair): PairStatus {
  const info = (e: TransformersEngine, tokenizer: TokenizerLike): LoadedModelInfo => ({
    id: e.modelId,
    description: e.description,
    maxContext: e.maxContext,
    vocabSize: e.vocabSize,
    vocabularyFingerprint: tokenizer.vocabularyFingerprint,
    logitsPlacement: e.logitsPlacement,
    reductionPlacement: e.reductionPlacement,
    kvCacheMode: e.kvCacheMode,
    logitRows: e.logitRows,
  });
  return {
    device: p.device,
    policy: info(p.policy, p.policyTokenizer),
    reference: info(p.reference, p.referenceTokenizer),
    tokenizerMismatch: p.tokenizerMismatch,
    tokenizerNotice: p.tokenizerNotice,
    fallback: p.fallback,
  };
}

async function disposePair(): Promise<void> {
  const p = pair;
  pair = null;
  if (p) await Promise.allSettled([p.policy.dispose(), p.reference.dispose()]);
}

/** Reloads the current pair on WASM after a WebGPU failure; returns the new status. */
async function fallBackToWasm(reason: string): Promise<PairStatus> {
  const request = pair!.request;
  const { policyTokenizer, referenceTokenizer, tokenizerMismatch, tokenizerNotice } = pair!;
  await disposePair();
  const engines = await loadEngines(request, 'wasm');
  const fallback = `WebGPU failed (${reason}); the models were reloaded on WASM.`;
  pair = {
    request,
    device: { device: 'wasm', reason: fallback, adapter: null },
    ...engines,
    policyTokenizer,
    referenceTokenizer,
    tokenizerMismatch,
    tokenizerNotice,
    fallback,
  };
  return statusOf(pair);
}

const api = {
  registerFolder(name: string, files: Map<string, Blob>): string {
    return registerDroppedFolder(name, files);
  },

  async loadPair(request: LoadPairRequest, onProgress?: (p: LoadProgress) => void): Promise<PairStatus> {
    await disposePair();
    injectedFailure = request.injectWebGpuFailure;
    const device = await chooseDevice(request.dtype, request.device);
    const [policySide, referenceSide] = await Promise.all([loadTokenizerFrom(request.policy), loadTokenizerFrom(request.reference)]);
    const pairing = pairTokenizers(policySide.identity, referenceSide.identity);
    const tokenizerMismatch = pairing.level === 'step' ? pairing.notice : null;
    const tokenizerNotice = pairing.level === 'token' && 'notice' in pairing ? pairing.notice : null;
    const [policyTokenizer, referenceTokenizer] = [policySide.tokenizer, referenceSide.tokenizer];
    let engines: Awaited<ReturnType<typeof loadEngines>>;
    let choice = device;
    let fallback: string | null = null;
    try {
      engines = await loadEngines(request, device.device, onProgress);
    } catch (error) {
      if (device.device !== 'webgpu') throw error;
      fallback = `WebGPU failed (${error instanceof Error ? error.message : String(error)}); the models were loaded on WASM.`;
      choice = { device: 'wasm', reason: fallback, adapter: device.adapter };
      engines = await loadEngines(request, 'wasm', onProgress);
    }
    pair = { request, device: choice, ...engines, policyTokenizer, referenceTokenizer, tokenizerMismatch, tokenizerNotice, fallback };
    return statusOf(pair);
  },

  status(): PairStatus | null {
    return pair ? statusOf(pair) : null;
  },

  async unload(): Promise<void> {
    await disposePair();
  },

  /** Starts a job; returns its id at once (for cancel) and a promise of its completion. */
  newJobId(): number {
    return nextJobId++;
  },

  cancel(jobId: number): void {
    cancelled.add(jobId);
  },

  async score(jobId: number, items: TrajectoryToScore[], render: RenderMode, callbacks: JobCallbacks): Promise<{ cancelled: boolean }> {
    if (!pair) throw new Error('no model pair is loaded');
    const controller = new AbortController();
    const started = performance.now();
    // Estimated as both models over every rendered token; corrected as each trajectory reports what it ran.
    let tokensDone = 0;
    let tokensTotal = 0;
    // At most ~10 progress messages a second: each one re-renders the page's progress bar.
    let lastProgressAt = -Infinity;
    let lastTrajectoriesDone = -1;
    const progress = (trajectoriesDone: number) => {
      const now = performance.now();
      if (trajectoriesDone === lastTrajectoriesDone && now - lastProgressAt < PROGRESS_INTERVAL_MS) return;
      lastProgressAt = now;
      lastTrajectoriesDone = trajectoriesDone;
      callbacks.onProgress?.({ trajectoriesDone, trajectoriesTotal: items.length, tokensDone, tokensTotal, elapsedMs: now - started });
    };
    const rendered = items.map((item) => {
      try {
        const r = renderTrajectory(item.trajectory, pair!.policyTokenizer, render);
        tokensTotal += r.tokenIds.length * 2;
        return r;
      } catch (error) {
        return error instanceof Error ? error : new Error(String(error));
      }
    });
    progress(0);
    // Best-of-N trajectories share their system prompt: each starts from the previous one's KV cache.
    const reusePrefix = items.length > 1;
    const releasePrefixCaches = () => Promise.all([pair?.policy.releasePrefixCache(), pair?.reference.releasePrefixCache()]);
    for (let i = 0; i < items.length; i++) {
      if (cancelled.delete(jobId)) return releasePrefixCaches().then(() => ({ cancelled: true }));
      const r = rendered[i];
      if (r instanceof Error) {
        callbacks.onError?.(items[i].key, r.message);
        progress(i + 1); // a trajectory that could not be rendered is done too (its error is shown)
        continue;
      }
      for (let attempt = 0; ; attempt++) {
        const base = tokensDone;
        try {
          const result = await scoreOne(items[i], r, (done) => {
            tokensDone = base + done;
            if (cancelled.has(jobId)) controller.abort();
            progress(i);
          }, controller.signal, reusePrefix);
          tokensTotal += result.forwardedTokens - r.tokenIds.length * 2;
          tokensDone = base + result.forwardedTokens;
          const packed = packRecordOf(result);
          callbacks.onResult?.(Comlink.transfer(packed, packedBuffers(packed.record)));
          break;
        } catch (error) {
          if (controller.signal.aborted) {
            cancelled.delete(jobId);
            await releasePrefixCaches();
            return { cancelled: true };
          }
          const message = error instanceof Error ? error.message : String(error);
          if (pair!.device.device === 'webgpu' && attempt === 0) {
            tokensDone = base;
            callbacks.onFallback?.(await fallBackToWasm(message));
            continue; // resume this trajectory on WASM
          }
          callbacks.onError?.(items[i].key, message);
          break;
        }
      }
      progress(i + 1);
    }
    await releasePrefixCaches();
    return { cancelled: false };
  },
};

async function scoreOne(
  item: TrajectoryToScore,
  rendered: ReturnType<typeof renderTrajectory>,
  onTokens: (tokensDone: number) => void,
  signal: AbortSignal,
  reusePrefix = false,
): Promise<ScoredTrajectory> {
  const p = pair!;
  if (p.device.device === 'webgpu' && injectedFailure === 'run') {
    injectedFailure = undefined;
    throw new Error('injected WebGPU failure: device lost');
  }
  if (p.tokenizerMismatch === null) {
    let forwarded = 0;
    const { record, notScored } = await scorePair({
      trajectory: item.trajectory,
      rendered,
      policy: p.policy,
      reference: p.reference,
      decodeTokens: (ids) => p.policyTokenizer.decodeTokens(ids),
      signal,
      reusePrefix,
      onProgress: (pr) => {
        // The policy pass runs first, then the reference pass over the same tokens.
        forwarded = pr.tokensTotal;
        onTokens((pr.model === 'reference' ? pr.tokensTotal : 0) + pr.tokensDone);
      },
    });
    return {
      key: item.key,
      record,
      notScored,
      stepLevelOnly: false,
      tokens: rendered.tokenIds.length,
      messageTokenCounts: rendered.messageSpans.map((span) => span.end - span.start),
      forwardedTokens: 2 * forwarded,
      device: p.device.device,
    };
  }
  const referenceRendered = renderTrajectory(item.trajectory, p.referenceTokenizer, rendered.mode);
  const stepLevel = await scoreStepLevel({
    trajectory: item.trajectory,
    policy: { engine: p.policy, rendered },
    reference: { engine: p.reference, rendered: referenceRendered },
    signal,
    reusePrefix,
  });
  const record: ScoreRecord = {
    id: stepLevel.id,
    taskId: stepLevel.taskId,
    reward: stepLevel.reward,
    mistakeStep: stepLevel.mistakeStep,
    mistakeAgent: stepLevel.mistakeAgent,
    stepLevelOnly: true,
    steps: stepLevel.steps.map((s) => ({
      message: s.message,
      agent: s.agent ?? null,
      policy: s.policy === null ? [] : [s.policy],
      reference: s.reference === null ? [] : [s.reference],
    })),
  };
  const forwardedTokens = rendered.tokenIds.length + referenceRendered.tokenIds.length;
  onTokens(forwardedTokens);
  return {
    key: item.key,
    record,
    notScored: stepLevel.notScored,
    stepLevelOnly: true,
    tokens: rendered.tokenIds.length,
    messageTokenCounts: rendered.messageSpans.map((span) => span.end - span.start),
    forwardedTokens,
    device: p.device.device,
  };
}

export type ScoringApi = typeof api;
Comlink.expose(api);
