/**
 * The page's connect policy (vite.config.ts) and the saved server origins it is written from
 * (src/state/server-origins.ts): the script, run as a page runs it, lets only bare http(s) origins
 * into a connect-src after the fixed sources (so no saved text can add a directive); the document
 * policy leaves connect-src to it, the worker policy does not; what the app saves, the script reads.
 */
import { describe, expect, it } from 'vitest';
import { runInNewContext } from 'node:vm';
import {
  BARE_ORIGIN_PATTERN,
  CONTENT_SECURITY_POLICY,
  FIXED_CONNECT_SOURCES,
  SERVER_ORIGINS_STORAGE_KEY as CONFIG_KEY,
  WORKER_CONTENT_SECURITY_POLICY,
  connectPolicyScript,
  staticHostHeadersFile,
} from '../../../vite.config';
import { SERVER_ORIGINS_STORAGE_KEY, removeServerOrigins, saveServerOrigins, savedServerOrigins } from '../../../src/state/server-origins';

function memoryStorage(initial: Record<string, string> = {}): Storage {
  const items = new Map(Object.entries(initial));
  return { getItem: (key: string) => items.get(key) ?? null, setItem: (key: string, value: string) => void items.set(key, value) } as Storage;
}

/** Runs the connect policy script in a page-like context; returns the meta tags it added and what it left on window. */
function runScript(saved: string | null): { metas: { httpEquiv: string; content: string }[]; origins: unknown } {
  const metas: { httpEquiv: string; content: string }[] = [];
  const window: Record<string, unknown> = {};
  const context = {
    window,
    localStorage: { getItem: (key: string) => (key === CONFIG_KEY ? saved : null) },
    document: { createElement: () => ({ httpEquiv: '', content: '' }), head: { appendChild: (meta: { httpEquiv: string; content: string }) => void metas.push(meta) } },
  };
  runInNewContext(connectPolicyScript(), context);
  return { metas, origins: window.progressAdvantageConnectOrigins };
}

describe('the connect policy script', () => {
  it('adds connect-src with the fixed sources and the saved origins, and nothing else', () => {
    const { metas, origins } = runScript(JSON.stringify(['http://127.0.0.1:8000', 'https://gpu.example', 'http://[::1]:30000', "http://evil; script-src 'unsafe-inline'", 'http://a.example/v1', 42]));
    expect(metas).toEqual([{ httpEquiv: 'Content-Security-Policy', content: `connect-src ${FIXED_CONNECT_SOURCES} http://127.0.0.1:8000 https://gpu.example http://[::1]:30000` }]);
    expect(origins).toEqual(['http://127.0.0.1:8000', 'https://gpu.example', 'http://[::1]:30000']);
    expect(Object.isFrozen(origins)).toBe(true);
  });

  it('adds the fixed sources alone when nothing or garbage is saved', () => {
    for (const saved of [null, 'not json', '{"a":1}']) {
      const { metas, origins } = runScript(saved);
      expect(metas.map((meta) => meta.content)).toEqual([`connect-src ${FIXED_CONNECT_SOURCES}`]);
      expect(origins).toEqual([]);
    }
  });
});

describe('the policies', () => {
  it('leave connect-src to the script in the page, and keep workers to the fixed sources', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("connect-src 'self' blob: http: https:");
    expect(WORKER_CONTENT_SECURITY_POLICY).toContain(`connect-src ${FIXED_CONNECT_SOURCES};`);
    expect(WORKER_CONTENT_SECURITY_POLICY).not.toContain('http: https:');
    // Static hosts send the page's policy as the preview server does (static-host.test.ts compares them).
    expect(staticHostHeadersFile()).toContain(`Content-Security-Policy: ${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`);
  });
});

describe('saved server origins', () => {
  it('are kept under the key the script reads, with its check', () => {
    expect(SERVER_ORIGINS_STORAGE_KEY).toBe(CONFIG_KEY);
    const storage = memoryStorage();
    expect(saveServerOrigins(['http://127.0.0.1:8000'], storage)).toEqual(['http://127.0.0.1:8000']);
    expect(saveServerOrigins(['https://gpu.example', 'http://127.0.0.1:8000'], storage)).toEqual(['http://127.0.0.1:8000', 'https://gpu.example']);
    expect(savedServerOrigins(storage)).toEqual(['http://127.0.0.1:8000', 'https://gpu.example']);
    expect(() => saveServerOrigins(['http://gpu.example/v1'], storage)).toThrow("'http://gpu.example/v1' is not an http(s) origin (scheme, host and port only)");
    expect(savedServerOrigins(memoryStorage({ [CONFIG_KEY]: JSON.stringify(['http://x.example', 'javascript:alert(1)']) }))).toEqual(['http://x.example']);
    const { origins } = runScript(storage.getItem(CONFIG_KEY));
    expect(origins).toEqual(['http://127.0.0.1:8000', 'https://gpu.example']);
    expect(removeServerOrigins(['http://127.0.0.1:8000'], storage)).toEqual(['https://gpu.example']);
    expect(runScript(storage.getItem(CONFIG_KEY)).origins).toEqual(['https://gpu.example']);
    expect(new RegExp(BARE_ORIGIN_PATTERN).test('http://[::1]:8000')).toBe(true);
  });
});
