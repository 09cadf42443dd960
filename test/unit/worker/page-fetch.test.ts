/**
 * The page's requests to vLLM / SGLang servers (src/worker/page-fetch.ts): what is refused before a
 * request leaves (not allowed by the page's policy yet, mixed content, no policy script), what a
 * browser's bare "Failed to fetch" is turned into (both causes, the engine's flag with this page's
 * origin), and fetchThrough, the FetchLike the worker gets: answers pass through, an abort reaches
 * the page's request and rejects at once.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { browserFetchFailure, createPageFetcher, fetchThrough, requestBlocker, serverOriginOf, type PageFetcher } from '../../../src/worker/page-fetch';

const PAGE = 'https://app.example';
const setOrigins = (origins: string[] | undefined) => ((globalThis as { progressAdvantageConnectOrigins?: unknown }).progressAdvantageConnectOrigins = origins);

afterEach(() => {
  setOrigins(undefined);
  vi.unstubAllGlobals();
});

describe('requestBlocker', () => {
  it('lets through only origins the policy in force allows, the page itself, and says why otherwise', () => {
    setOrigins(['https://gpu.example:8000']);
    expect(requestBlocker('https://gpu.example:8000/v1/models', PAGE)).toBeNull();
    expect(requestBlocker('https://app.example/v1/models', PAGE)).toBeNull();
    expect(requestBlocker('https://other.example:8000/v1/models', PAGE)).toBe(
      `this page's Content-Security-Policy does not allow https://other.example:8000 yet: "Allow and reload" in the model panel adds it (the session is kept)`,
    );
    expect(requestBlocker('ftp://gpu.example/', PAGE)).toBe(`'ftp://gpu.example/' is not an http(s) URL`);
    setOrigins(undefined);
    expect(requestBlocker('https://gpu.example:8000/v1/models', PAGE)).toMatch(/connect policy script \(connect-policy\.js\) did not run/);
  });

  it('refuses plain http to another host from an https page (mixed content), not to this machine', () => {
    setOrigins(['http://gpu.example:8000', 'http://127.0.0.1:8000']);
    expect(requestBlocker('http://gpu.example:8000/v1/models', PAGE)).toMatch(/^this page is served over https, .*mixed content/);
    expect(requestBlocker('http://127.0.0.1:8000/v1/models', PAGE)).toBeNull();
    expect(requestBlocker('http://gpu.example:8000/v1/models', 'http://app.example')).toBeNull();
  });

  it('reads origins as the policy names them', () => {
    expect(serverOriginOf(' HTTP://GPU.example:8000/v1/ ')).toBe('http://gpu.example:8000');
    expect(serverOriginOf('not a url')).toBeNull();
  });
});

describe('a browser\'s "Failed to fetch"', () => {
  it('names both causes and the flag that allows this page, per engine', () => {
    const vllm = browserFetchFailure('vllm', 'http://gpu:8000/v1/models', 'Failed to fetch', PAGE);
    expect(vllm).toContain('nothing answers at http://gpu:8000 (is the server running, on this host and port?)');
    expect(vllm).toContain(`does not allow this page's origin ${PAGE} (CORS)`);
    expect(vllm).toContain(`curl http://gpu:8000/v1/models`);
    expect(vllm).toContain(`--allowed-origins '["${PAGE}"]'`);
    const sglang = browserFetchFailure('sglang', 'http://gpu:30000/get_model_info', 'Failed to fetch', PAGE);
    expect(sglang).toContain('SGLang itself allows every origin');
    expect(sglang).toContain(`Access-Control-Allow-Origin: ${PAGE}`);
  });

  it('is what the page fetcher throws, and no request leaves for a blocked origin', async () => {
    setOrigins(['http://127.0.0.1:9']);
    const calls: string[] = [];
    vi.stubGlobal('fetch', async (url: string) => {
      calls.push(url);
      throw new TypeError('Failed to fetch');
    });
    const fetcher = createPageFetcher('http://app.example');
    await expect(fetcher.fetch(1, 'vllm', 'http://127.0.0.1:9/v1/models', { method: 'GET' })).rejects.toThrow(/^the browser got no answer it may read \("Failed to fetch"; it does not say why\)/);
    await expect(fetcher.fetch(2, 'vllm', 'http://127.0.0.1:10/v1/models', { method: 'GET' })).rejects.toThrow(/does not allow http:\/\/127\.0\.0\.1:10 yet/);
    expect(calls).toEqual(['http://127.0.0.1:9/v1/models']);
  });
});

describe('fetchThrough', () => {
  it('passes the answer through and carries an abort to the page', async () => {
    const aborted: number[] = [];
    let release!: () => void;
    const fetcher: PageFetcher = {
      fetch: async (id, kind, url, init) => {
        if (url.endsWith('/slow')) await new Promise<void>((done) => (release = done));
        return { status: 200, statusText: 'OK', text: JSON.stringify({ id, kind, url, init }) };
      },
      abort: (id) => void aborted.push(id),
    };
    const fetchLike = fetchThrough(fetcher, 'sglang');
    const answer = await fetchLike('http://s/generate', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, signal: new AbortController().signal });
    expect(answer.status).toBe(200);
    const sent = JSON.parse(await answer.text());
    expect(sent).toMatchObject({ kind: 'sglang', url: 'http://s/generate', init: { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } } });

    const controller = new AbortController();
    const slow = fetchLike('http://s/slow', { method: 'GET', signal: controller.signal });
    controller.abort(new Error('timeout'));
    await expect(slow).rejects.toThrow('timeout');
    expect(aborted).toHaveLength(1);
    release();
  });
});
