/**
 * A pair served by vLLM or SGLang, in the scoring worker: core's server engine (src/core/engine/server)
 * for each model, its requests made by the page (page-fetch.ts). The page scores one trajectory at a
 * time, so each model gets a couple of requests in flight and few retries: a server that is down
 * says so within seconds, not after the CLI's patient backoff.
 */
import { checkServerTokenizer, createServerEngine, DEFAULT_RETRY, ReplicaPool, SERVER_NAMES, ServerTokenizerMismatchError, type ClientOptions, type FetchLike, type ServerKind } from '../core/engine/server';
import { TOP_K, type TokenizerLike } from '../core/engine/types';
import { ModelLoadError, type EngineFactory, type ModelSpec } from '../core/scoring';
import type { DeviceChoice } from './device';
import type { LoadPairRequest, ServerModelSource } from './scoring-protocol';

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
