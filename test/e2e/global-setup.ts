/**
 * Builds the app once for all browser tests and serves the production build (what users get:
 * React without its development checks) with Vite's preview server, COOP/COEP headers included.
 *
 * The test build reads hub models from `/test-hub/` on its own origin (VITE_MODEL_HUB, read by
 * src/state/model-hub.ts), which the preview server forwards to 127.0.0.1:`hubPort`: a test that
 * needs a hub listens there (test/e2e/hub-server.ts). Same origin, so the app's CSP is unchanged.
 */
import { build, preview, type PreviewServer } from 'vite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    /** Where a test's stand-in hub listens (the build's /test-hub/ is forwarded to it). */
    hubPort: number;
  }
}

let server: PreviewServer | undefined;

/** The hub path of the test build (src/state/model-hub.ts reads it as VITE_MODEL_HUB). */
const TEST_HUB_PATH = '/test-hub/';

export default async function setup(project: TestProject) {
  const outDir = mkdtempSync(join(tmpdir(), 'pa-e2e-build-'));
  // Vitest sets NODE_ENV=test, which would make Vite build React's development variant.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  process.env.VITE_MODEL_HUB = TEST_HUB_PATH;
  try {
    await build({ configFile: 'vite.config.ts', mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true, sourcemap: false, minify: false } });
  } finally {
    process.env.NODE_ENV = nodeEnv;
    delete process.env.VITE_MODEL_HUB;
  }
  const port = 43000 + Math.floor(Math.random() * 2000);
  const hubPort = 45000 + Math.floor(Math.random() * 2000);
  const hubProxy = { target: `http://127.0.0.1:${hubPort}`, rewrite: (path: string) => path.slice(TEST_HUB_PATH.length - 1) };
  server = await preview({
    configFile: 'vite.config.ts',
    logLevel: 'warn',
    build: { outDir },
    preview: { port, strictPort: false, host: '127.0.0.1', proxy: { [TEST_HUB_PATH.slice(0, -1)]: hubProxy } },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('Vite preview server did not report its URL');
  project.provide('baseUrl', url);
  project.provide('hubPort', hubPort);
  return async () => {
    await server?.close();
    rmSync(outDir, { recursive: true, force: true });
  };
}
