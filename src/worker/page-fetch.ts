/**
 * The HTTP requests to vLLM / SGLang servers, made by the page, for itself (the model panel's
 * connection check) and for the scoring worker (lent to it through Comlink: scoring-client.ts).
 *
 * Why the page: its Content-Security-Policy names the servers the user entered (vite.config.ts,
 * connectPolicyScript), while a worker runs under the policy of its own script's response, which
 * the host fixes and which cannot name them (the worker's connect-src stays 'self' and the hub).
 *
 * A browser reports a refused request only as "Failed to fetch" (TypeError): nothing listening,
 * a server that does not allow this page's origin (CORS), a policy or mixed-content block all
 * read the same (Resource Timing shows nothing either; a no-cors probe is blocked by this page's
 * cross-origin isolation). So what can be known is checked before the request — the policy in
 * force, mixed content — and the rest is said as what it may be, with the server flag to change.
 */
import type { FetchLike, ServerKind } from '../core/engine/server';

export interface PageFetchInit {
  method: string;
  body?: string;
  headers?: Record<string, string>;
}

export interface PageFetchAnswer {
  status: number;
  statusText: string;
  text: string;
}

/** What the page lends the scoring worker: requests by id, each abortable. */
export interface PageFetcher {
  fetch(id: number, kind: ServerKind, url: string, init: PageFetchInit): Promise<PageFetchAnswer>;
  abort(id: number): void;
}

/** The server origins the page's connect policy allows now (set by the connect policy script); null when that script did not run. */
export function connectOriginsInForce(): readonly string[] | null {
  const origins = (globalThis as { progressAdvantageConnectOrigins?: unknown }).progressAdvantageConnectOrigins;
  return Array.isArray(origins) ? (origins as string[]) : null;
}

/** `http(s)://host[:port]` of a URL, or null when it is not an http(s) URL. */
export function serverOriginOf(url: string): string | null {
  try {
    const parsed = new URL(url.trim());
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : null;
  } catch {
    return null;
  }
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Why this page may not send a request to `url`, known before sending it; null when nothing stands in the way. */
export function requestBlocker(url: string, pageOrigin: string): string | null {
  const origin = serverOriginOf(url);
  if (origin === null) return `'${url}' is not an http(s) URL`;
  const host = new URL(origin).hostname;
  if (pageOrigin.startsWith('https:') && origin.startsWith('http:') && !LOCAL_HOSTS.has(host)) {
    return `this page is served over https, and a browser refuses plain http:// requests from it to another host (mixed content): serve ${origin} over https (or through an https proxy), or open the app over http`;
  }
  if (origin === pageOrigin) return null;
  const allowed = connectOriginsInForce();
  if (allowed === null) return `this page's connect policy script (connect-policy.js) did not run, so its Content-Security-Policy allows no server: reload the page`;
  if (!allowed.includes(origin)) return `this page's Content-Security-Policy does not allow ${origin} yet: "Allow and reload" in the model panel adds it (the session is kept)`;
  return null;
}

/** What a browser's "Failed to fetch" from a server may mean, with what to do for each engine. */
export function browserFetchFailure(kind: ServerKind, url: string, reason: string, pageOrigin: string): string {
  const origin = serverOriginOf(url) ?? url;
  const cors =
    kind === 'vllm'
      ? `start vLLM with --allowed-origins '["${pageOrigin}"]' (its default, ["*"], allows every origin: vllm/entrypoints/openai/cli_args.py), or fix the proxy in front of it`
      : `SGLang itself allows every origin (CORSMiddleware with allow_origins ["*"] in python/sglang/srt/entrypoints/http_server.py), so a proxy in front of it must send Access-Control-Allow-Origin: ${pageOrigin}`;
  return (
    `the browser got no answer it may read ("${reason}"; it does not say why): either nothing answers at ${origin} (is the server running, on this host and port?), ` +
    `or the server does not allow this page's origin ${pageOrigin} (CORS). If \`curl ${origin}${kind === 'vllm' ? '/v1/models' : '/get_model_info'}\` answers from this machine, it is CORS: ${cors}`
  );
}

/** The page's requests, for the worker (or for the page itself through fetchThrough). */
export function createPageFetcher(pageOrigin: string = globalThis.location.origin): PageFetcher {
  const controllers = new Map<number, AbortController>();
  return {
    async fetch(id, kind, url, init) {
      const blocker = requestBlocker(url, pageOrigin);
      if (blocker) throw new Error(blocker);
      const controller = new AbortController();
      controllers.set(id, controller);
      try {
        let response: Response;
        try {
          response = await fetch(url, { ...init, signal: controller.signal, mode: 'cors', credentials: 'omit', cache: 'no-store' });
        } catch (error) {
          if (controller.signal.aborted) throw new Error('the request was aborted');
          throw new Error(browserFetchFailure(kind, url, error instanceof Error ? error.message : String(error), pageOrigin));
        }
        return { status: response.status, statusText: response.statusText, text: await response.text() };
      } finally {
        controllers.delete(id);
      }
    },
    abort(id) {
      controllers.get(id)?.abort();
    },
  };
}

let nextRequestId = 1;

/** A FetchLike (what core's server client takes) over a PageFetcher, local or lent through Comlink. */
export function fetchThrough(fetcher: PageFetcher, kind: ServerKind): FetchLike {
  return (url, init) =>
    new Promise((resolve, reject) => {
      const id = nextRequestId++;
      const { signal } = init;
      const onAbort = () => {
        void fetcher.abort(id);
        reject(signal.reason ?? new Error('aborted'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      const request: PageFetchInit = { method: init.method, ...(init.body !== undefined ? { body: init.body } : {}), ...(init.headers ? { headers: init.headers } : {}) };
      Promise.resolve(fetcher.fetch(id, kind, url, request))
        .then((answer) => resolve({ status: answer.status, statusText: answer.statusText, text: () => Promise.resolve(answer.text) }), reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
}
