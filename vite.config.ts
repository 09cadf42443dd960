import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { createReadStream, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Cross-origin isolation (COOP/COEP) lets onnxruntime-web use WASM threads (SharedArrayBuffer);
 * every server that hosts the app must send these two headers.
 */
export const crossOriginIsolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

/** Where the page may always connect: itself, blob: (worker threads), the Hugging Face hub and its file CDNs (cdn-lfs*.huggingface.co, *.hf.co). */
export const FIXED_CONNECT_SOURCES = "'self' blob: https://huggingface.co https://*.huggingface.co https://*.hf.co";

/**
 * Where the page keeps the origins of the vLLM / SGLang servers the user entered (localStorage, a
 * JSON array): src/state/server-origins.ts writes it, the connect policy script reads it.
 */
export const SERVER_ORIGINS_STORAGE_KEY = 'progress-advantage.server-origins';

/** A bare http(s) origin (scheme, host, port): all the connect policy script lets into the policy, so no saved text can add a directive. */
export const BARE_ORIGIN_PATTERN = String.raw`^https?://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$`;

/** The script that writes the page's connect-src policy, first thing in <head> (connectPolicyScript). */
export const CONNECT_POLICY_SCRIPT = 'connect-policy.js';

/**
 * Content-Security-Policy of the built app: no inline or foreign script, no eval, in the page.
 * `'wasm-unsafe-eval'` lets onnxruntime-web compile its WebAssembly; workers come from the app
 * itself (blob: for worker threads); style attributes are allowed because React and d3 set them.
 * The policy is written into the built index.html (a meta tag, so any static host applies it to
 * the page) and sent as a header by `vite preview` and static hosts (`_headers`). `vite` (dev)
 * sends none: its hot-reload client runs inline scripts.
 *
 * Its connect-src is wide (any http(s) host) because a policy can only be narrowed, never widened,
 * and the servers a user scores through (vLLM / SGLang, docs/servers.md) are known only at run
 * time: the connect policy script (connectPolicyScript, the first script in <head>, on every
 * server: build, preview, dev) adds a second policy, `connect-src` FIXED_CONNECT_SOURCES plus the
 * origins of the servers the user entered. A request must pass both, so the page reaches only
 * those. Entering a new server saves its origin and reloads the page (state/server-origins.ts).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' blob: http: https:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

/**
 * The connect policy script: reads the saved server origins (each checked to be a bare http(s)
 * origin, so nothing else can enter the policy) and adds `<meta http-equiv=Content-Security-Policy
 * content="connect-src …">` before any other script runs. It leaves the origins it allowed in
 * `window.progressAdvantageConnectOrigins` (frozen): the app asks the user to reload for one that
 * is not there yet.
 */
export function connectPolicyScript(): string {
  return `// Written by vite.config.ts (connectPolicyScript): the page's connect-src, from the servers the user entered.
(function () {
  var ORIGIN = new RegExp(${JSON.stringify(BARE_ORIGIN_PATTERN)});
  var origins = [];
  try {
    var saved = JSON.parse(localStorage.getItem(${JSON.stringify(SERVER_ORIGINS_STORAGE_KEY)}) || '[]');
    if (Array.isArray(saved)) origins = saved.filter(function (origin) { return typeof origin === 'string' && ORIGIN.test(origin); });
  } catch (error) {
    origins = [];
  }
  var meta = document.createElement('meta');
  meta.httpEquiv = 'Content-Security-Policy';
  meta.content = ${JSON.stringify(`connect-src ${FIXED_CONNECT_SOURCES}`)} + (origins.length > 0 ? ' ' + origins.join(' ') : '');
  document.head.appendChild(meta);
  Object.defineProperty(window, 'progressAdvantageConnectOrigins', { value: Object.freeze(origins.slice()), writable: false, configurable: false });
})();
`;
}

/** frame-ancestors is only honoured in a header (a meta tag with it logs an error). */
const DOCUMENT_POLICY_HEADER = `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`;

/**
 * A worker runs under the policy of its own script's response, not the page's. The scoring
 * worker (and onnxruntime's thread workers, started from its .mjs) need 'unsafe-eval':
 * onnxruntime-web's Emscripten glue (embind) builds functions from strings. Workers have no DOM,
 * so nothing injected into a page can reach this; the page's policy keeps eval forbidden.
 */
export const WORKER_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("script-src 'self' 'wasm-unsafe-eval'", "script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'")
  // Workers never talk to vLLM / SGLang servers (the page does it for the scoring worker: src/worker/page-fetch.ts).
  .replace("connect-src 'self' blob: http: https:", `connect-src ${FIXED_CONNECT_SOURCES}`);

/** Worker scripts: the app's bundled workers and onnxruntime's glue (thread workers load it). */
const WORKER_SCRIPT = /(\.worker-[\w-]+\.js|\/ort-wasm[\w.-]*\.mjs)$/;

/**
 * `_headers` in the build, the headers file Netlify and Cloudflare Pages read: cross-origin
 * isolation everywhere (WASM threads), the document policy on the page. Workers get no policy
 * there (a second matching rule would add a second, stricter CSP to them, and the page's meta tag
 * does not reach workers). Hosts that cannot send headers (GitHub Pages) serve a working app that
 * is not cross-origin isolated: onnxruntime-web then runs one WASM thread.
 */
export function staticHostHeadersFile(): string {
  const isolation = Object.entries(crossOriginIsolationHeaders).map(([name, value]) => `  ${name}: ${value}`);
  const page = [`  Content-Security-Policy: ${DOCUMENT_POLICY_HEADER}`];
  return [['/*', ...isolation], ['/', ...page], ['/index.html', ...page]].map((rule) => rule.join('\n')).join('\n\n') + '\n';
}

/**
 * Adds the policy to the built index.html, the preview server's headers (page and workers), and
 * `_headers` for static hosts; and the connect policy script to every page (build and dev).
 */
function contentSecurityPolicy(): Plugin {
  let base = '/';
  return {
    name: 'content-security-policy',
    configResolved(config) {
      base = config.base;
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '_headers', source: staticHostHeadersFile() });
      this.emitFile({ type: 'asset', fileName: CONNECT_POLICY_SCRIPT, source: connectPolicyScript() });
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if ((req.url ?? '').split('?')[0] !== `${base}${CONNECT_POLICY_SCRIPT}`) return next();
        res.setHeader('Content-Type', 'text/javascript');
        res.end(connectPolicyScript());
      });
    },
    transformIndexHtml: {
      order: 'post',
      handler(_html, context) {
        const script = { tag: 'script', attrs: { src: `${base}${CONNECT_POLICY_SCRIPT}` }, injectTo: 'head-prepend' } as const;
        // The document policy only in the build: dev keeps Vite's inline hot-reload scripts working.
        if (context.server) return [script];
        return [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' }, script];
      },
    },
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = (req.url ?? '').split('?')[0];
        res.setHeader('Content-Security-Policy', WORKER_SCRIPT.test(path) ? WORKER_CONTENT_SECURITY_POLICY : DOCUMENT_POLICY_HEADER);
        next();
      });
    },
  };
}

/** Where the app serves onnxruntime-web's WASM runtime (transformers.js would fetch it from a CDN). */
export const ORT_WASM_BASE = 'ort/';

const ortDist = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-web')), '.');
/** transformers.js runs onnxruntime-web's asyncify build (WebGPU and WASM in one binary). */
const ORT_RUNTIME_FILE = /^ort-wasm-simd-threaded\.asyncify\.(mjs|wasm)$/;

/** Self-hosts onnxruntime-web's runtime files: served from node_modules in dev, copied into the build. */
function selfHostedOnnxRuntime(): Plugin {
  const files = readdirSync(ortDist).filter((f) => ORT_RUNTIME_FILE.test(f));
  return {
    name: 'self-hosted-onnxruntime',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = (req.url ?? '').split('?')[0];
        const prefix = `${server.config.base}${ORT_WASM_BASE}`;
        if (!path.startsWith(prefix)) return next();
        const file = path.slice(prefix.length);
        if (!files.includes(file)) return next();
        res.setHeader('Content-Type', file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        createReadStream(join(ortDist, file)).pipe(res);
      });
    },
    generateBundle() {
      for (const file of files) this.emitFile({ type: 'asset', fileName: `${ORT_WASM_BASE}${file}`, source: readFileSync(join(ortDist, file)) });
    },
  };
}

const port = Number(process.env.PORT ?? 5173);

export default defineConfig({
  plugins: [react(), selfHostedOnnxRuntime(), contentSecurityPolicy()],
  // Names the build: the embedded demo pair ships with it, so its cached scores are valid for one build.
  define: { 'import.meta.env.VITE_APP_BUILD_ID': JSON.stringify(Date.now().toString(36)) },
  server: { host: '127.0.0.1', port, strictPort: true, headers: crossOriginIsolationHeaders },
  preview: { host: '127.0.0.1', port, strictPort: true, headers: crossOriginIsolationHeaders },
  worker: { format: 'es' },
  optimizeDeps: {
    // Pre-bundle everything up front: a dependency discovered late (e.g. when the scoring worker
    // starts) makes the dev server reload the page and lose the session.
    entries: ['index.html', 'src/worker/*.worker.ts'],
    include: ['react', 'react-dom', 'react-dom/client', 'react/jsx-runtime', 'zustand', 'comlink', '@tanstack/react-virtual', 'd3', 'zod', '@huggingface/transformers'],
    exclude: ['onnxruntime-web'],
  },
  build: { target: 'es2022', sourcemap: true },
});
