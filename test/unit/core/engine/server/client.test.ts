/**
 * The replica client and the wire readers, against the vLLM-format test server with seeded numbers
 * (no model): per-replica slots are never exceeded and work spreads over replicas; a 4xx is thrown
 * at once with the server's words and a hint; connection errors, 429, 500, 503 and malformed JSON
 * are retried with a full-jitter backoff no longer than the policy allows, and give up after the last attempt; answers that
 * are JSON but not what was asked (wrong length, missing actual token, −9999) are refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ReplicaPool, ServerRequestError, ServerUnavailableError, hintFor, normaliseBaseUrl, readSglangPromptLogprobs, readVllmPromptLogprobs, vllmCompletionRequest, type ClientOptions, type RetryEvent } from '../../../../../src/core/engine/server';
import { startFakeVllm } from '../../../../../tools/fake-vllm';
import { syntheticOracle } from '../../../../../tools/logprob-oracle';
import type { FakeServer, Faults } from '../../../../../tools/fake-inference-server';

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function server(faults: Partial<Faults> = {}, maxLogprobs?: number): Promise<FakeServer> {
  const started = await startFakeVllm({ models: { m: { oracle: syntheticOracle(), maxModelLen: 1000 } }, faults, ...(maxLogprobs !== undefined ? { maxLogprobs } : {}) });
  servers.push(started);
  return started;
}

function options(extra: Partial<ClientOptions> = {}): ClientOptions & { delays: number[]; retries: RetryEvent[] } {
  const delays: number[] = [];
  const retries: RetryEvent[] = [];
  return {
    fetch: (url, init) => fetch(url, init),
    concurrency: 2,
    timeoutMs: 5000,
    retry: { retries: 3, baseDelayMs: 100, maxDelayMs: 400 },
    random: () => 0.999,
    sleep: async (milliseconds) => {
      delays.push(milliseconds);
    },
    onRetry: (event) => retries.push(event),
    delays,
    retries,
    ...extra,
  };
}

const prompt = Array.from({ length: 50 }, (_, index) => (index * 13) % 1000);
const score = (pool: ReplicaPool, k = 0) => pool.post('/v1/completions', vllmCompletionRequest('m', prompt, k), (body) => readVllmPromptLogprobs(body, prompt, k));

describe('ReplicaPool', () => {
  it('keeps at most `concurrency` requests in flight per replica and spreads them over replicas', async () => {
    const a = await server({ delayMs: 50 });
    const b = await server({ delayMs: 50 });
    let inFlight = 0;
    let most = 0;
    const counting: ClientOptions['fetch'] = async (url, init) => {
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        return await fetch(url, init);
      } finally {
        inFlight--;
      }
    };
    const pool = new ReplicaPool([a.url, b.url], options({ fetch: counting }));
    const answers = await Promise.all(Array.from({ length: 12 }, () => score(pool)));
    expect(answers.every((answer) => answer.logprob.length === prompt.length - 1)).toBe(true);
    expect(most).toBe(4);
    expect(a.counts.answered).toBe(6);
    expect(b.counts.answered).toBe(6);
  });

  it('throws a 4xx at once with the server message and what to change', async () => {
    const capped = await server({}, 5);
    const pool = new ReplicaPool([capped.url], options(), hintFor('vllm'));
    const error = await score(pool, 20).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServerRequestError);
    expect((error as ServerRequestError).status).toBe(400);
    expect((error as Error).message).toContain('Requested prompt logprobs of 20, which is greater than max allowed: 5');
    expect((error as Error).message).toContain('--max-logprobs 20');
    expect(capped.counts.received).toBe(1);
  });

  it('retries 503, dropped connections and malformed JSON with bounded jittered backoff, then answers', async () => {
    const flaky = await server({ unavailable: 1, drop: 1, malformed: 1 });
    const settings = options();
    const answer = await score(new ReplicaPool([flaky.url], settings));
    expect(answer.logprob).toHaveLength(prompt.length - 1);
    expect(settings.retries.map((event) => event.reason)).toEqual([
      expect.stringMatching(/dropped|fetch failed|other side closed/),
      expect.stringMatching(/answered 503/),
      expect.stringMatching(/malformed JSON/),
    ]);
    // random() = 0.999: just under min(max, base · 2^attempt) = 100, 200, 400.
    expect(settings.delays).toEqual([100, 200, 400]);
  });

  it('retries 429 and 500 too, each wait drawn uniformly below the doubling cap (full jitter)', async () => {
    const limited = await server({ rateLimited: 1, internalError: 1 });
    const settings = options({ random: () => 0.25 });
    const answer = await score(new ReplicaPool([limited.url], settings));
    expect(answer.logprob).toHaveLength(prompt.length - 1);
    expect(settings.retries.map((event) => event.reason)).toEqual([expect.stringMatching(/answered 429: Too Many Requests/), expect.stringMatching(/answered 500: EngineCore/)]);
    // random() = 0.25 of the caps 100, 200: the wait scales with the draw, so replicas retrying together spread out.
    expect(settings.delays).toEqual([25, 50]);
    expect(limited.counts).toEqual({ received: 3, answered: 1 });
  });

  it('gives up after the last retry with the last reason', async () => {
    const down = await server({ unavailable: 100 });
    const error = await score(new ReplicaPool([down.url], options())).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServerUnavailableError);
    expect((error as Error).message).toMatch(/gave up after 4 attempts: .* answered 503/);
    expect(down.counts.received).toBe(4);
  });

  it('a dead replica is not retried while the live one is only busy: its requests wait for the live one', async () => {
    const live = await server({ delayMs: 30 });
    const dead = await server();
    const deadUrl = dead.url;
    await dead.close();
    servers.splice(servers.indexOf(dead), 1);
    // Long rests: within this test the dead replica, once it failed, is never up again.
    const settings = options({ concurrency: 1, retry: { retries: 2, baseDelayMs: 60_000, maxDelayMs: 60_000 } });
    const pool = new ReplicaPool([deadUrl, live.url], settings);
    const answers = await Promise.all(Array.from({ length: 6 }, () => score(pool)));
    expect(answers).toHaveLength(6);
    // Only the request that found the dead replica first failed there; every retry went to the live one.
    expect(settings.retries.map((event) => event.url)).toEqual([deadUrl]);
    expect(live.counts.answered).toBe(6);
  });

  it('normalises base URLs', () => {
    expect(normaliseBaseUrl('http://h:8000/v1/')).toBe('http://h:8000');
    expect(() => normaliseBaseUrl('h:8000')).toThrow(/not an http/);
  });
});

describe('wire readers', () => {
  const ids = [5, 6, 7];
  it('refuses vLLM answers that do not hold what was asked', () => {
    const entry = (id: number, logprob: number) => ({ [String(id)]: { logprob, rank: 1, decoded_token: 'x' } });
    const good = { choices: [{ prompt_logprobs: [null, entry(6, -1), entry(7, -2)] }] };
    expect(Array.from(readVllmPromptLogprobs(good, ids, 0).logprob)).toEqual([-1, -2]);
    expect(() => readVllmPromptLogprobs({ choices: [{ prompt_logprobs: [null, entry(6, -1)] }] }, ids, 0)).toThrow(/2 entries for a prompt of 3 tokens/);
    expect(() => readVllmPromptLogprobs({ choices: [{ prompt_logprobs: [null, entry(9, -1), entry(7, -2)] }] }, ids, 0)).toThrow(/does not hold the actual token 6/);
    expect(() => readVllmPromptLogprobs({ choices: [{ prompt_logprobs: [null, entry(6, -9999), entry(7, -2)] }] }, ids, 0)).toThrow(/probability 0/);
    expect(() => readVllmPromptLogprobs({ choices: [{ text: 'x' }] }, ids, 0)).toThrow(/no prompt_logprobs/);
  });

  it('reads SGLang triples and refuses a missing logprob_start_len', () => {
    const good = { meta_info: { input_token_logprobs: [[null, 5, null], [-1, 6, null], [-2, 7, null]] } };
    expect(Array.from(readSglangPromptLogprobs(good, ids, 0).logprob)).toEqual([-1, -2]);
    expect(() => readSglangPromptLogprobs({ meta_info: { input_token_logprobs: [] } }, ids, 0)).toThrow(/logprob_start_len 0/);
    expect(() => readSglangPromptLogprobs({ meta_info: { input_token_logprobs: [[null, 5, null], [-1, 8, null], [-2, 7, null]] } }, ids, 0)).toThrow(/is for token 8/);
  });
});
