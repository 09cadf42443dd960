/**
 * A pair served by vLLM or SGLang, in the scoring worker: core's server engine (src/core/engine/server)
 * for each model, its requests made by the page (page-fetch.ts). The page scores one trajectory at a
 * time, so each model gets a couple of requests in flight and few retries: a server that is down
 * says so within seconds, not after the CLI's patient backoff.
 */
import {
  checkServerTokenizer,
  createServerEngine,
  DEFAULT_RETRY,
  hintFor,
  namedTokenizerServesBoth,
  pairLabelledTokenizers,
  prepareServerTokenizers,
  releaseServerTokenizers,
  ReplicaPool,
  SERVER_NAMES,
  ServerTokenizer,
  ServerTokenizerMismatchError,
  type ClientOptions,
  type FetchLike,
  type LabelledTokenizer,
  type ServerKind,
} from '../core/engine/server';
import { withModelLocation } from '../core/engine/model-location';
import { TOP_K, type TokenizerLike } from '../core/engine/types';
import type { RenderMode } from '../core/render/types';
import { ModelLoadError, loadPairTokenizers, type EngineFactory, type JobProgress, type ModelSpec, type PairTokenizers, type ScoringPair, type TrajectoryToScore } from '../core/scoring';
import { loadTokenizer } from '../core/tokenizer';
import type { DeviceChoice } from './device';
import type { LoadPairRequest, ModelFilesSource, ServerModelSource } from './scoring-protocol';

/** How the app's requests to a server behave (the CLI's are its options: docs/servers.md). */
export const APP_SERVER_CLIENT: Omit<ClientOptions, 'fetch'> = {
  concurrency: 2,
  timeoutMs: 300_000,
  retry: { ...DEFAULT_RETRY, retries: 2, maxDelayMs: 4_000 },
};

/** The pair's two server sources, or null for a pair of local models; a pair of one of each is refused. */
export function serverSourcesOf(request: Pick<LoadPairRequest, 'policy' | 'reference'>): { policy: ServerModelSource; reference: ServerModelSource } | null {
  const { policy, reference } = request;
  if (policy.kind !== 'server' && reference.kind !== 'server') return null;
  if (policy.kind !== 'server' || reference.kind !== 'server') throw new Error('a pair is scored either by two servers or by two local models, not one of each');
  return { policy, reference };
}

/** Servers compute on their own devices: the status line says which. */
export function serverDeviceChoice(sources: { policy: ServerModelSource; reference: ServerModelSource }): DeviceChoice {
  const where = (source: ServerModelSource) => `${SERVER_NAMES[source.engine]} at ${source.url}`;
  const same = sources.policy.url === sources.reference.url && sources.policy.engine === sources.reference.engine;
  return {
    device: 'server',
    reason: same ? `Scored by the ${where(sources.policy)} (both models).` : `Scored by servers: policy on ${where(sources.policy)}, reference on ${where(sources.reference)}.`,
    adapter: null,
  };
}

/**
 * Each side's tokenizer against its server's own tokenization of the served name (core's
 * checkServerTokenizer): a tokenizer that is not the model's fails the load; a server without a
 * tokenize endpoint gives a notice (returned) rather than an assumption.
 */
export async function checkServedTokenizers(
  sources: { policy: ServerModelSource; reference: ServerModelSource },
  tokenizers: { policy: TokenizerLike; reference: TokenizerLike },
  specs: { policy: ModelSpec; reference: ModelSpec },
  fetchFor: (kind: ServerKind) => FetchLike,
): Promise<string | null> {
  const notices: string[] = [];
  for (const side of ['policy', 'reference'] as const) {
    const source = sources[side];
    // The server's own tokenizer needs no check against itself.
    if (tokenizers[side] instanceof ServerTokenizer) continue;
    const pool = new ReplicaPool([source.url], { ...APP_SERVER_CLIENT, fetch: fetchFor(source.engine) });
    try {
      const check = await checkServerTokenizer(source.engine, source.model, tokenizers[side], pool, specs[side].label);
      if (check.agrees === null) notices.push(`${side}: ${check.reason}`);
    } catch (error) {
      if (error instanceof ServerTokenizerMismatchError) throw new ModelLoadError(`the ${side} model: ${error.message}`);
      throw new ModelLoadError(`the ${side} model: checking its tokenizer against the server failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return notices.length > 0 ? notices.join('; ') : null;
}

/** Server engines for the pair: the policy asks the top 20 log-probs per position (the top-20 mean), the reference only the actual token's, as the CLI does. */
export function serverEngineFactory(sources: { policy: ServerModelSource; reference: ServerModelSource }, fetchFor: (kind: ServerKind) => FetchLike): EngineFactory {
  return async ({ side }) => {
    const source = sources[side];
    try {
      return await createServerEngine(
        { kind: source.engine, urls: [source.url], ...(source.model ? { model: source.model } : {}), topLogprobs: side === 'policy' ? TOP_K : 0 },
        { ...APP_SERVER_CLIENT, fetch: fetchFor(source.engine) },
      );
    } catch (error) {
      // Said as it is: the load error's wording (files, the hub) does not fit a server.
      throw new ModelLoadError(`the ${side} model: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
}

/** What a served model's tokenizer is, for labels: its files, or the server's own /tokenize. */
export function servedTokenizerSpec(source: ServerModelSource, locate: (files: ModelFilesSource) => ModelSpec): ModelSpec {
  const served = `${SERVER_NAMES[source.engine]} model "${source.model}"`;
  if (source.tokenizer === null) return { location: { modelId: source.model }, label: `the ${SERVER_NAMES[source.engine]} server's own /tokenize for "${source.model}" at ${source.url}`, remote: false };
  const tokenizer = locate(source.tokenizer);
  return { ...tokenizer, label: `${tokenizer.label} (the tokenizer of ${served})` };
}

/**
 * Both tokenizers of a served pair: named ones (hub id, dropped folder) load as for local models;
 * a side with none tokenizes through its server (ServerTokenizer: asked for the served name, so an
 * unknown name or a missing endpoint fails the load saying what to enter). Two named ones pair as
 * local tokenizers do; one named for one side only serves both when it tokenizes as the other
 * side's server (namedTokenizerServesBoth); otherwise they pair by fingerprint (pairLabelledTokenizers).
 */
export async function loadServedPairTokenizers(
  sources: { policy: ServerModelSource; reference: ServerModelSource },
  specs: { policy: ModelSpec; reference: ModelSpec },
  fetchFor: (kind: ServerKind) => FetchLike,
): Promise<PairTokenizers> {
  if (sources.policy.tokenizer !== null && sources.reference.tokenizer !== null) return loadPairTokenizers({ policy: specs.policy, reference: specs.reference, dtype: 'server' });
  const poolOf = (source: ServerModelSource) => new ReplicaPool([source.url], { ...APP_SERVER_CLIENT, fetch: fetchFor(source.engine) }, hintFor(source.engine));
  const loaded: Partial<Record<'policy' | 'reference', LabelledTokenizer>> = {};
  const load = async (side: 'policy' | 'reference'): Promise<LabelledTokenizer> => {
    const source = sources[side];
    const spec = specs[side];
    try {
      if (source.tokenizer !== null) return (loaded[side] ??= { tokenizer: await withModelLocation(spec.location, (id) => loadTokenizer(id)), label: spec.label });
      const tokenizer = await ServerTokenizer.connect({ kind: source.engine, model: source.model, where: source.url }, poolOf(source));
      return { tokenizer, label: tokenizer.label };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new ModelLoadError(`the ${side} model's tokenizer: ${message.replace(/name the model's own tokenizer \(a folder or hub id\)/, "enter the model's tokenizer (its hub id or a folder)")}`);
    }
  };
  // A tokenizer entered for one side serves the other too when it tokenizes as that side's server (token-level scores).
  const namedSide = sources.policy.tokenizer !== null ? 'policy' : 'reference';
  const otherSide = namedSide === 'policy' ? 'reference' : 'policy';
  if (sources[namedSide].tokenizer !== null) {
    const named = await load(namedSide);
    const other = sources[otherSide];
    let servesBoth: boolean;
    try {
      servesBoth = await namedTokenizerServesBoth(named, { kind: other.engine, model: other.model, pool: poolOf(other) });
    } catch (error) {
      throw new ModelLoadError(`the ${otherSide} model: checking the ${namedSide}'s tokenizer against its server failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (servesBoth) return { policyTokenizer: named.tokenizer, referenceTokenizer: named.tokenizer, pairing: { level: 'token', relation: 'identical' } };
  }
  const policy = await load('policy');
  const reference = await load('reference');
  return { policyTokenizer: policy.tokenizer, referenceTokenizer: reference.tokenizer, pairing: pairLabelledTokenizers(policy, reference) };
}

/** The pair's tokenizers a rendering asks: the policy's, and the reference's at step level. */
const renderingTokenizers = (pair: ScoringPair) => (pair.pairing.level === 'token' ? [pair.policyTokenizer] : [pair.policyTokenizer, pair.referenceTokenizer]);

/** Trajectories whose server tokenizations are fetched before their batch is scored: progress and cancellation come early. */
export const SERVED_BATCH = 4;

/**
 * Runs a scoring job (`run`, core's runScoringJob with the page's callbacks). A pair tokenized by
 * its servers (ServerTokenizer) is run a few trajectories at a time, each batch's tokenizations
 * fetched first and released after; a trajectory whose tokenization fails is reported through
 * `onError` and counts as done. Progress counts every trajectory of the job; its tokens are those
 * of the batches rendered so far (a later batch's are not known before it is fetched).
 */
export async function scoreInServedBatches(
  pair: ScoringPair,
  items: readonly TrajectoryToScore[],
  render: RenderMode,
  run: (batch: readonly TrajectoryToScore[], onProgress?: (progress: JobProgress) => void) => Promise<{ cancelled: boolean }>,
  job: { isCancelled(): boolean; onProgress?(progress: JobProgress): void; onError?(key: string, message: string): void },
): Promise<{ cancelled: boolean }> {
  const tokenizers = renderingTokenizers(pair);
  if (!tokenizers.some((tokenizer) => tokenizer instanceof ServerTokenizer)) return run(items, job.onProgress);
  const started = Date.now();
  let tokensBefore = 0;
  for (let start = 0; start < items.length; start += SERVED_BATCH) {
    if (job.isCancelled()) return { cancelled: true };
    const batch = items.slice(start, start + SERVED_BATCH);
    const ready: TrajectoryToScore[] = [];
    for (const item of batch) {
      try {
        await prepareServerTokenizers(tokenizers, item.trajectory, render);
        ready.push(item);
      } catch (error) {
        job.onError?.(item.key, error instanceof Error ? error.message : String(error));
      }
    }
    const failed = batch.length - ready.length;
    let batchTokens = 0;
    try {
      const outcome = await run(ready, (progress) => {
        batchTokens = progress.tokensTotal;
        job.onProgress?.({
          trajectoriesDone: start + failed + progress.trajectoriesDone,
          trajectoriesTotal: items.length,
          tokensDone: tokensBefore + progress.tokensDone,
          tokensTotal: tokensBefore + progress.tokensTotal,
          elapsedMs: Date.now() - started,
        });
      });
      if (outcome.cancelled) return outcome;
    } finally {
      for (const item of ready) releaseServerTokenizers(tokenizers, item.trajectory);
    }
    tokensBefore += batchTokens;
  }
  return { cancelled: false };
}
