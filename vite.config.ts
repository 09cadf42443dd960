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

/**
 * Content-Security-Policy of the built app: no inline or foreign script, no eval, in the page.
 * `'wasm-unsafe-eval'` lets onnxruntime-web compile its WebAssembly; workers come from the app
 * itself (blob: for worker threads); style attributes are allowed because React and d3 set them;
 * models may be fetched from the Hugging Face hub and its file CDNs (cdn-lfs*.huggingface.co,
 * *.hf.co). The policy is written into the built index.html (a meta tag, so any static host
 * applies it to the page) and sent as a header by `vite preview`. `vite` (dev) sends none: its
 * hot-reload client runs inline scripts.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' blob: https://huggingface.co https://*.huggingface.co https://*.hf.co",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

/** frame-ancestors is only honoured in a header (a meta tag with it logs an error). */
const DOCUMENT_POLICY_HEADER = `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`;

/**
 * A worker runs under the policy of its own script's response, not the page's. The scoring
 * worker (and onnxruntime's thread workers, started from its .mjs) need 'unsafe-eval':
 * onnxruntime-web's Emscripten glue (embind) builds functions from strings. Workers have no DOM,
 * so nothing injected into a page can reach this; the page's policy keeps eval forbidden.
 */
export const WORKER_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("script-src 'self' 'wasm-unsafe-eval'", "script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'");

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

/** Adds the policy to the built index.html, the preview server's headers (page and workers), and `_headers` for static hosts. */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'content-security-policy',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '_headers', source: staticHostHeadersFile() });
    },
    transformIndexHtml: {
      order: 'post',
      handler(_html, context) {
        // Only in the build: dev keeps Vite's inline hot-reload scripts working.
        if (context.server) return [];
        return [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' }];
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
