/** Starts the app's Vite dev server once for all browser tests and hands its URL to them. */
import { createServer, type ViteDevServer } from 'vite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

let server: ViteDevServer | undefined;

export default async function setup(project: TestProject) {
  const port = 43000 + Math.floor(Math.random() * 2000);
  server = await createServer({ configFile: 'vite.config.ts', server: { port, strictPort: false, host: '127.0.0.1' }, logLevel: 'warn' });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('Vite dev server did not report its URL');
  project.provide('baseUrl', url);
  return async () => {
    await server?.close();
  };
}
