/** Debian Chromium driven by playwright-core, with the flags that give a (software) WebGPU adapter here. */
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless=new',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
];

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Errors the page threw or logged: tests assert there are none. */
  pageErrors: string[];
  close(): Promise<void>;
}

export async function openBrowser(): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), 'pa-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`console.error: ${m.text()}`);
  });
  return {
    context,
    page,
    pageErrors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the app and waits until every example file listed in public/examples/index.json is read. */
export async function openAppWithExamples(page: Page, baseUrl: string): Promise<void> {
  const manifest = JSON.parse(readFileSync(resolve(__dirname, '../../public/examples/index.json'), 'utf8')) as { files: string[] };
  await page.goto(baseUrl);
  await page.waitForFunction(
    (n) => {
      const items = Array.from(document.querySelectorAll('[data-testid="file-item"]'));
      return items.length === n && items.every((i) => i.getAttribute('data-status') !== 'parsing');
    },
    manifest.files.length,
    { timeout: 30_000 },
  );
}
