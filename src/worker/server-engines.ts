/**
 * A pair served by vLLM or SGLang, in the scoring worker: core's server engine (src/core/engine/server)
 * for each model, its requests made by the page (page-fetch.ts). The page scores one trajectory at a
 * time, so each model gets a couple of requests in flight and few retries: a server that is down
 * says so within seconds, not after the CLI's patient backoff.
 */
import { createServerEngine, DEFAULT_RETRY, SERVER_NAMES, type ClientOptions, type FetchLike, type ServerKind } from '../core/engine/server';
import { TOP_K } from '../core/engine/types';
import { ModelLoadError, type EngineFactory } from '../core/scoring';
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
