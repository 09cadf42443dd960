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
  plugins: [react(), selfHostedOnnxRuntime()],
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
