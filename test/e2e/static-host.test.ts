/**
 * The build carries `_headers` (Netlify, Cloudflare Pages) with the headers `vite preview` sends:
 * cross-origin isolation on every path (WASM threads need it) and the page's policy on the page
 * only — worker scripts must not get a second, stricter policy (onnxruntime-web's glue needs eval).
 */
import { describe, expect, inject, it } from 'vitest';

const baseUrl = inject('baseUrl');

/** `_headers` rules: path → header name → value. */
function parseHeadersFile(text: string): Map<string, Map<string, string>> {
  const rules = new Map<string, Map<string, string>>();
  let current: Map<string, string> | null = null;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (!line.startsWith(' ')) {
      current = new Map();
      rules.set(line.trim(), current);
    } else {
      const colon = line.indexOf(':');
      current!.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
  }
  return rules;
}

describe('headers for static hosts', () => {
  it('are in the build and match what the preview server sends', async () => {
    const file = await fetch(new URL('/_headers', baseUrl));
    expect(file.status).toBe(200);
    const rules = parseHeadersFile(await file.text());
    expect([...rules.keys()]).toEqual(['/*', '/', '/index.html']);

    const page = await fetch(new URL('/', baseUrl));
    for (const name of ['Cross-Origin-Opener-Policy', 'Cross-Origin-Embedder-Policy']) {
      expect(rules.get('/*')!.get(name)).toBe(page.headers.get(name));
    }
    expect(rules.get('/')!.get('Content-Security-Policy')).toBe(page.headers.get('Content-Security-Policy'));
    expect(rules.get('/index.html')!.get('Content-Security-Policy')).toBe(page.headers.get('Content-Security-Policy'));
    // No rule gives worker scripts the page's policy (it forbids the eval onnxruntime-web's glue needs).
    expect([...rules.entries()].filter(([, headers]) => headers.has('Content-Security-Policy')).map(([path]) => path)).toEqual(['/', '/index.html']);
  });
});
