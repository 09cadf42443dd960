/**
 * The model panel's connection check for a served pair, run by the page before anything is loaded:
 * each server entered is asked what it serves (vLLM `GET /v1/models`; SGLang `GET /get_model_info`,
 * newer `/model_info`, and its `/v1/models` for the context), once, without retries, through the
 * page's own requests (worker/page-fetch.ts: its Content-Security-Policy, its messages for an
 * unreachable server and for CORS). Each side's model name is then checked against the listing.
 */
import { listServedModels, normaliseBaseUrl, ReplicaPool, SERVER_NAMES, type ServedModels } from '../core/engine/server';
import { createPageFetcher, fetchThrough } from '../worker/scoring-client';
import type { ServerChoice } from './model-sources';

export type Side = 'policy' | 'reference';

export interface ServerListing {
  url: string;
  /** Which sides of the pair this server serves. */
  sides: Side[];
  /** What it serves; null when the check failed (then `error` says why). */
  served: ServedModels | null;
  error: string | null;
}

export interface ServerCheck {
  listings: ServerListing[];
  /** Per side: null when the side's model is served, else what is wrong (no URL, unreachable, unknown name). */
  problems: Record<Side, string | null>;
  /** Names filled in where a side named none and its server serves exactly one model. */
  filled: Partial<Record<Side, string>>;
}

const CHECK_TIMEOUT_MS = 15_000;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function checkServerChoice(choice: ServerChoice, pageOrigin: string = globalThis.location.origin): Promise<ServerCheck> {
  const name = SERVER_NAMES[choice.engine];
  const problems: ServerCheck['problems'] = { policy: null, reference: null };
  const filled: ServerCheck['filled'] = {};
  const bySide = new Map<Side, string>();
  for (const side of ['policy', 'reference'] as const) {
    try {
      bySide.set(side, normaliseBaseUrl(choice[side].url));
    } catch (error) {
      problems[side] = choice[side].url.trim() === '' ? `enter the ${side} server's URL` : `the ${side} server: ${messageOf(error)}`;
    }
  }
  const pool = (url: string) =>
    new ReplicaPool([url], { fetch: fetchThrough(createPageFetcher(pageOrigin), choice.engine), concurrency: 1, timeoutMs: CHECK_TIMEOUT_MS, retry: { retries: 0, baseDelayMs: 0, maxDelayMs: 0 } });
  const listings: ServerListing[] = [];
  for (const url of new Set(bySide.values())) {
    const sides = [...bySide].filter(([, at]) => at === url).map(([side]) => side);
    try {
      listings.push({ url, sides, served: await listServedModels(choice.engine, url, pool(url)), error: null });
    } catch (error) {
      listings.push({ url, sides, served: null, error: messageOf(error) });
    }
  }
  for (const listing of listings) {
    for (const side of listing.sides) {
      if (!listing.served) {
        problems[side] = listing.error;
        continue;
      }
      const names = listing.served.models.map((model) => model.name);
      const wanted = choice[side].model.trim();
      if (wanted === '') {
        if (names.length === 1) filled[side] = names[0];
        else problems[side] = `the ${name} server at ${listing.url} serves ${names.map((n) => JSON.stringify(n)).join(', ')}: name the ${side} model`;
      } else if (!names.includes(wanted)) {
        problems[side] = `the ${name} server at ${listing.url} does not serve ${JSON.stringify(wanted)}; it serves ${names.map((n) => JSON.stringify(n)).join(', ') || 'nothing'}`;
      }
    }
  }
  return { listings, problems, filled };
}
