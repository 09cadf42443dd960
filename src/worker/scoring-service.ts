/**
 * The scoring worker's logic, free of the worker itself so it also runs in-process (tests): loads
 * the pair through core's scoring path on the device chosen for it, falls back from WebGPU to WASM
 * when WebGPU fails at load or mid-job (the job resumes at the trajectory that failed), and runs
 * jobs with cancellation. The host says where model files come from and which devices exist.
 */
import type { ModelFileReader } from '../core/engine/model-location';
import {
  describePair,
  disposeScoringPair,
  loadPairEngines,
  loadPairTokenizers,
  runScoringJob,
  transformersEngineFactory,
  type EngineFactory,
  type ModelSpec,
  type PairSpec,
  type ScoringPair,
} from '../core/scoring';
import type { FetchLike, ServerKind } from '../core/engine/server';
import type { DeviceChoice, DevicePreference, ModelDtype } from './device';
import type { JobProgress, LoadPairRequest, ModelFilesSource, ModelSource, PairStatus, ScoringClient, TrajectoryToScore } from './scoring-protocol';
import {
  checkServedTokenizers,
  loadServedPairTokenizers,
  scoreInServedBatches,
  servedTokenizerSpec,
  serverDeviceChoice,
  serverEngineFactory,
  serverSourcesOf,
} from './server-engines';
import { mergedReferences } from './merged-reference';

export interface ScoringServiceHost {
  /** Reads model files back for the in-graph reduction. */
  files: ModelFileReader;
  /** Where a model's files live, in transformers.js' terms. */
  locate(source: ModelFilesSource): ModelSpec;
  chooseDevice(dtype: ModelDtype, preference: DevicePreference): Promise<DeviceChoice>;
  registerFolder(name: string, files: ReadonlyMap<string, Blob>): string;
  /** Frees a registered folder (merged references: worker/merged-reference.ts); absent: folders are kept. */
  unregisterFolder?(id: string): void;
  /** Which engine runs a model (default: transformers.js on the requested device). */
  engineFactory?: EngineFactory;
  /** How requests reach vLLM / SGLang servers (the browser: through the page, page-fetch.ts); absent: server pairs cannot load. */
  serverFetch?(kind: ServerKind): FetchLike;
}

interface LoadedPair {
  request: LoadPairRequest;
  pair: ScoringPair;
  device: DeviceChoice;
  fallback: string | null;
  /** A served pair's tokenizers that could not be checked against the servers (server-engines.ts). */
  tokenizerNotice?: string | null;
}

/** What a load overtaken by a later load or an unload rejects with (the page ignores it). */
export const LOAD_OVERTAKEN = 'the model load was overtaken by another';

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export function createScoringService(host: ScoringServiceHost): ScoringClient {
  const baseFactory = host.engineFactory ?? transformersEngineFactory(host.files);
  let loaded: LoadedPair | null = null;
  let injectedFailure: LoadPairRequest['injectWebGpuFailure'];
  const cancelled = new Set<number>();
  let nextJobId = 1;
  // Each load (and each unload) takes a new number: a load overtaken by a later one (the page's
  // first-visit demo, then the user's own choice) disposes what it loaded instead of installing it.
  let loadGeneration = 0;
  // The loaded pair's merged reference (the model panel's α), which the reference engine loads instead.
  let mergedReference: ModelSpec | null = null;
  const merges = mergedReferences(host);

  const engineFactory: EngineFactory = (request) => {
    if (request.device === 'webgpu' && injectedFailure === 'load') {
      injectedFailure = undefined;
      return Promise.reject(new Error('injected WebGPU failure at load'));
    }
    return baseFactory(request.side === 'reference' && mergedReference ? { ...request, model: mergedReference } : request);
  };

  // A served model's files are its tokenizer's (the server computes the log-probs), or none: the server's own /tokenize.
  const locate = (source: ModelSource): ModelSpec => (source.kind === 'server' ? servedTokenizerSpec(source, (files) => host.locate(files)) : host.locate(source));
  const specOf = (request: LoadPairRequest): PairSpec => ({ policy: locate(request.policy), reference: locate(request.reference), dtype: request.dtype });
  const statusOf = (p: LoadedPair): PairStatus => {
    const described = describePair(p.pair, { fallbacks: p.fallback ? [{ kind: 'device', reason: p.fallback }] : [] });
    const tokenizerNotice = [described.tokenizerNotice, p.tokenizerNotice].filter(Boolean).join('; ') || null;
    return { ...described, tokenizerNotice, device: p.device, fallback: p.fallback };
  };

  async function unloadPair(): Promise<void> {
    const p = loaded;
    loaded = null;
    if (p) await disposeScoringPair(p.pair);
  }

  /** Reloads the current pair's engines on WASM after a WebGPU failure (the tokenizers stay). */
  async function fallBackToWasm(reason: string): Promise<PairStatus> {
    const { request, pair } = loaded!;
    await unloadPair();
    const engines = await loadPairEngines(pair.spec, 'wasm', engineFactory);
    const fallback = `WebGPU failed (${reason}); the models were reloaded on WASM.`;
    loaded = { request, pair: { ...pair, ...engines, device: 'wasm' }, device: { device: 'wasm', reason: fallback, adapter: null }, fallback };
    return statusOf(loaded);
  }

  return {
    async registerFolder(name, files) {
      return host.registerFolder(name, files);
    },

    async loadPair(request, onProgress) {
      const generation = ++loadGeneration;
      const overtaken = () => generation !== loadGeneration;
      await unloadPair();
      injectedFailure = request.injectWebGpuFailure;
      const servers = serverSourcesOf(request);
      if (servers && !host.serverFetch) throw new Error('this host cannot reach vLLM / SGLang servers');
      const device = servers ? serverDeviceChoice(servers) : await host.chooseDevice(request.dtype, request.device);
      // A served pair's files are its tokenizers only; its "dtype" is whatever the servers run.
      const spec = servers ? { ...specOf(request), dtype: 'server' } : specOf(request);
      const tokenizers = servers ? await loadServedPairTokenizers(servers, { policy: spec.policy!, reference: spec.reference }, (kind) => host.serverFetch!(kind)) : await loadPairTokenizers(spec);
      mergedReference = await merges.forLoad(request, spec);
      if (overtaken()) throw new Error(LOAD_OVERTAKEN);
      let choice = device;
      let fallback: string | null = null;
      let engines;
      try {
        engines = servers
          ? await loadPairEngines(spec, 'wasm', serverEngineFactory(servers, (kind) => host.serverFetch!(kind)))
          : await loadPairEngines(spec, device.device as 'webgpu' | 'wasm', engineFactory, onProgress);
      } catch (error) {
        if (device.device !== 'webgpu') throw error;
        fallback = `WebGPU failed (${messageOf(error)}); the models were loaded on WASM.`;
        choice = { device: 'wasm', reason: fallback, adapter: device.adapter };
        engines = await loadPairEngines(spec, 'wasm', engineFactory, onProgress);
      }
      let tokenizerNotice: string | null = null;
      if (servers && tokenizers.policyTokenizer) {
        try {
          tokenizerNotice = await checkServedTokenizers(servers, { policy: tokenizers.policyTokenizer, reference: tokenizers.referenceTokenizer }, { policy: spec.policy!, reference: spec.reference }, (kind) => host.serverFetch!(kind));
        } catch (error) {
          await disposeScoringPair(engines);
          throw error;
        }
      }
      if (overtaken()) {
        await disposeScoringPair(engines);
        throw new Error(LOAD_OVERTAKEN);
      }
      loaded = { request, pair: { spec, device: choice.device === 'server' ? 'server' : choice.device, ...tokenizers, ...engines }, device: choice, fallback, tokenizerNotice };
      return statusOf(loaded);
    },

    async status() {
      return loaded ? statusOf(loaded) : null;
    },

    async unload() {
      loadGeneration++;
      await unloadPair();
    },

    async newJobId() {
      return nextJobId++;
    },

    async cancel(jobId) {
      cancelled.add(jobId);
    },

    async score(jobId, items, render, callbacks, context) {
      if (!loaded) throw new Error('no model pair is loaded');
      const onError = callbacks.onError ? (key: string, message: string) => callbacks.onError!(key, message) : undefined;
      const run = (batch: readonly TrajectoryToScore[], onProgress?: (progress: JobProgress) => void) =>
        runScoringJob(
          batch,
          { render, reusePrefix: items.length > 1, ...(context ? { context } : {}) },
          {
            ...(onProgress ? { onProgress } : {}),
            ...(callbacks.onResult ? { onResult: (r) => callbacks.onResult!(r) } : {}),
            ...(onError ? { onError } : {}),
          },
          {
            pair: () => {
              if (!loaded) throw new Error('the model pair was unloaded');
              return loaded.pair;
            },
            isCancelled: () => cancelled.has(jobId),
            beforeAttempt: (pair) => {
              if (pair.device === 'webgpu' && injectedFailure === 'run') {
                injectedFailure = undefined;
                throw new Error('injected WebGPU failure: device lost');
              }
            },
            recover: async (error) => {
              if (loaded?.pair.device !== 'webgpu') return false;
              callbacks.onFallback?.(await fallBackToWasm(messageOf(error)));
              return true;
            },
          },
        );
      // A pair tokenized by its servers fetches the tokenizations a few trajectories at a time first (server-engines.ts).
      const outcome = await scoreInServedBatches(loaded.pair, items, render, run, {
        isCancelled: () => cancelled.has(jobId),
        ...(callbacks.onProgress ? { onProgress: (p: JobProgress) => callbacks.onProgress!(p) } : {}),
        ...(onError ? { onError } : {}),
      });
      cancelled.delete(jobId);
      return outcome;
    },
  };
}
