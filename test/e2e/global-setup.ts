/**
 * Builds the app once for all browser tests and serves the production build (what users get:
 * React without its development checks) with Vite's preview server, COOP/COEP headers included.
 */
import { build, preview, type PreviewServer } from 'vite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

let server: PreviewServer | undefined;

export default async function setup(project: TestProject) {
  const outDir = mkdtempSync(join(tmpdir(), 'pa-e2e-build-'));
  // Vitest sets NODE_ENV=test, which would make Vite build React's development variant.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: 'vite.config.ts', mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true, sourcemap: false, minify: false } });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  const port = 43000 + Math.floor(Math.random() * 2000);
  server = await preview({ configFile: 'vite.config.ts', logLevel: 'warn', build: { outDir }, preview: { port, strictPort: false, host: '127.0.0.1' } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('Vite preview server did not report its URL');
  project.provide('baseUrl', url);
  return async () => {
    await server?.close();
    rmSync(outDir, { recursive: true, force: true });
  };
}
