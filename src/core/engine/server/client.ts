/**
 * The HTTP client of the server engine: the replicas that serve one model, used data-parallel.
 * Each replica takes at most `concurrency` requests at a time; a caller waits for a free slot
 * (backpressure, so a job never queues more work than the servers take). A request that fails on
 * the way — connection refused or dropped, a timeout, 429, 5xx, a body that is not the JSON asked
 * for — is retried after a jittered exponential backoff, on another replica when one is up; the
 * failed replica rests for a while. A 4xx other than 429 is the request's own fault and is never
 * retried: it comes back as a ServerRequestError with the server's message and what to change.
 *
 * Uses `fetch` only (given by the host), so the CLI and a browser share it.
 */
import { MalformedAnswerError, errorMessageOf as messageOf } from './wire';

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  /** Backoff before retry n is uniform in [0, min(maxDelayMs, baseDelayMs · 2^n)] ("full jitter"). */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The part of `fetch` the client uses; the host passes its own (Node's or the browser's). */
export type FetchLike = (
  url: string,
  init: { method: string; body?: string; headers?: Record<string, string>; signal: AbortSignal },
) => Promise<{ status: number; statusText: string; text(): Promise<string> }>;

export interface ClientOptions {
  fetch: FetchLike;
  /** Requests in flight per replica. */
  concurrency: number;
  /** Per request, from sending to the whole answer read. */
  timeoutMs: number;
  retry: RetryPolicy;
  /** Test seams: a seeded random source, a clock-free sleep. */
  random?: () => number;
  sleep?: (milliseconds: number, signal?: AbortSignal) => Promise<void>;
  /** Told about each failed attempt that will be retried (the CLI says it as a notice). */
  onRetry?(event: RetryEvent): void;
}

export interface RetryEvent {
  url: string;
  attempt: number;
  reason: string;
  delayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 6, baseDelayMs: 500, maxDelayMs: 15_000 };

/** A 4xx answer (not 429): the request is at fault; retrying it would fail the same way. */
export class ServerRequestError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    readonly serverMessage: string,
    hint: string | null,
  ) {
    super(`${url} answered ${status}: ${serverMessage}${hint ? ` (${hint})` : ''}`);
    this.name = 'ServerRequestError';
  }
}

/** Every attempt failed on the way (connection, timeout, 429 / 5xx, malformed answer). */
export class ServerUnavailableError extends Error {
  constructor(
    readonly attempts: number,
    readonly lastReason: string,
  ) {
    super(`gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${lastReason}`);
    this.name = 'ServerUnavailableError';
  }
}

/** A failure worth another attempt. */
export class TransientServerError extends Error {}

/** A parser may throw this for a well-formed HTTP answer whose body is not what was asked: retried. */
export class RetryableAnswerError extends TransientServerError {}

/** What to change for a 4xx, read from the server's words (vLLM's and SGLang's texts). */
export type HintFor = (status: number, message: string) => string | null;

function defaultSleep(milliseconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, milliseconds);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

interface Replica {
  url: string;
  inFlight: number;
  /** Not chosen before this time (ms since epoch) unless no other replica is up. */
  restingUntil: number;
  failuresInARow: number;
}

/** Base URL without a trailing slash; `/v1` at the end is kept out (paths add it). */
export function normaliseBaseUrl(url: string): string {
  let base = url.trim().replace(/\/+$/, '');
  if (base.endsWith('/v1')) base = base.slice(0, -3);
  if (!/^https?:\/\/[^/]+/i.test(base)) throw new Error(`'${url}' is not an http(s) URL`);
  return base;
}

export class ReplicaPool {
  private readonly replicas: Replica[];
  private readonly waiting: (() => void)[] = [];
  private readonly random: () => number;
  private readonly sleep: NonNullable<ClientOptions['sleep']>;

  constructor(
    urls: readonly string[],
    private readonly options: ClientOptions,
    private readonly hintFor: HintFor = () => null,
  ) {
    if (urls.length === 0) throw new Error('no server URL');
    if (!(options.concurrency >= 1)) throw new Error('concurrency must be at least 1');
    this.replicas = urls.map((url) => ({ url: normaliseBaseUrl(url), inFlight: 0, restingUntil: 0, failuresInARow: 0 }));
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? defaultSleep;
  }

  get urls(): string[] {
    return this.replicas.map((replica) => replica.url);
  }

  /** Requests the pool runs at once (replicas × concurrency). */
  get capacity(): number {
    return this.replicas.length * this.options.concurrency;
  }

  /** GET `path` and parse its JSON; a 4xx throws ServerRequestError. */
  get<T>(path: string, parse: (body: unknown) => T, signal?: AbortSignal): Promise<T> {
    return this.request('GET', path, undefined, parse, signal);
  }

  post<T>(path: string, body: unknown, parse: (body: unknown) => T, signal?: AbortSignal): Promise<T> {
    return this.request('POST', path, JSON.stringify(body), parse, signal);
  }

  /** One request to one replica, no retry (probing each replica once at connection). */
  probe<T>(url: string, path: string, parse: (body: unknown) => T): Promise<T> {
    return this.attempt({ url, inFlight: 0, restingUntil: 0, failuresInARow: 0 }, 'GET', path, undefined, parse, undefined);
  }

  private async request<T>(method: string, path: string, body: string | undefined, parse: (body: unknown) => T, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const replica = await this.acquire(signal);
      let delayMs = 0;
      try {
        const result = await this.attempt(replica, method, path, body, parse, signal);
        replica.failuresInARow = 0;
        return result;
      } catch (error) {
        if (!(error instanceof TransientServerError) || signal?.aborted) throw error;
        replica.failuresInARow++;
        const { retry } = this.options;
        // A replica that keeps failing rests longer (capped), so the others take its work.
        replica.restingUntil = Date.now() + Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (replica.failuresInARow - 1));
        if (attempt >= retry.retries) throw new ServerUnavailableError(attempt + 1, error.message);
        // Another replica that is up takes the retry at once; otherwise wait out a jittered backoff.
        const anotherUp = this.replicas.some((other) => other !== replica && other.restingUntil <= Date.now());
        delayMs = anotherUp ? 0 : Math.round(this.random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt));
        this.options.onRetry?.({ url: replica.url, attempt: attempt + 1, reason: error.message, delayMs });
      } finally {
        this.release(replica);
      }
      if (delayMs > 0) await this.sleep(delayMs, signal);
    }
  }

  /**
   * The replica with a free slot and the fewest requests in flight; waits when all are full. A
   * resting replica is used only while every replica rests: when the replicas that are up are
   * busy, waiting for their slot beats sending the request where it just failed (a dead replica
   * answers at once, so it would otherwise take every retry and use them all up).
   */
  private async acquire(signal?: AbortSignal): Promise<Replica> {
    for (;;) {
      signal?.throwIfAborted();
      const now = Date.now();
      const up = this.replicas.filter((replica) => replica.restingUntil <= now);
      const usable = up.length > 0 ? up : this.replicas;
      const candidates = usable.filter((replica) => replica.inFlight < this.options.concurrency);
      if (candidates.length > 0) {
        const chosen = candidates.reduce((best, replica) => (replica.inFlight < best.inFlight || (replica.inFlight === best.inFlight && replica.restingUntil < best.restingUntil) ? replica : best));
        chosen.inFlight++;
        return chosen;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(replica: Replica): void {
    replica.inFlight--;
    this.waiting.shift()?.();
  }

  private async attempt<T>(replica: Replica, method: string, path: string, body: string | undefined, parse: (body: unknown) => T, signal: AbortSignal | undefined): Promise<T> {
    const url = `${replica.url}${path}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('timeout')), this.options.timeoutMs);
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort);
    try {
      let response: Awaited<ReturnType<FetchLike>>;
      let text: string;
      try {
        response = await this.options.fetch(url, {
          method,
          ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}),
          signal: controller.signal,
        });
        text = await response.text();
      } catch (error) {
        if (signal?.aborted) throw error;
        if (controller.signal.aborted) throw new TransientServerError(`${url}: no answer within ${this.options.timeoutMs / 1000} s`);
        throw new TransientServerError(`${url}: ${connectionWords(error)}`);
      }
      const status = response.status;
      const json = parseJson(text);
      if (status === 429 || status >= 500) throw new TransientServerError(`${url} answered ${status}${json.ok ? `: ${messageOf(json.value) ?? text.slice(0, 200)}` : ''}`);
      if (status >= 400) {
        const message = (json.ok ? messageOf(json.value) : null) ?? (text.trim().slice(0, 500) || response.statusText);
        throw new ServerRequestError(url, status, message, this.hintFor(status, message));
      }
      if (!json.ok) throw new RetryableAnswerError(`${url} answered ${status} with malformed JSON (${json.reason}): ${JSON.stringify(text.slice(0, 80))}`);
      try {
        return parse(json.value);
      } catch (error) {
        if (error instanceof TransientServerError || error instanceof ServerRequestError) throw error;
        if (error instanceof MalformedAnswerError) throw new RetryableAnswerError(`${url}: ${error.message}`);
        throw error;
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, reason: text.length === 0 ? 'empty body' : (error as Error).message };
  }
}

/** Node's fetch says "fetch failed" and hides the cause (ECONNREFUSED, ECONNRESET, …) one level down. */
function connectionWords(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? '';
  if (code === 'ECONNREFUSED') return 'connection refused (is the server running, on this host and port?)';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'the connection was dropped';
  if (cause?.message) return `${(error as Error).message}: ${cause.message}`;
  return error instanceof Error ? error.message : String(error);
}
