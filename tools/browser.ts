/** Debian Chromium driven by playwright-core, with the flags that give a (software) WebGPU adapter here. */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { spawn } from 'node:child_process';
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

/**
 * Deletes the app's saved session (IndexedDB) for the origin of `url`. The page first leaves the
 * app, so that no write of the old page lands after the deletion.
 */
export async function clearSavedSession(page: Page, url: string): Promise<void> {
  await page.goto('about:blank');
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('Storage.clearDataForOrigin', { origin: new URL(url).origin, storageTypes: 'indexeddb' });
  } finally {
    await cdp.detach();
  }
}

/** Opens the app on a fresh session (the saved one is deleted) and waits until every example file listed in public/examples/index.json is read. */
export async function openAppWithExamples(page: Page, baseUrl: string): Promise<void> {
  const manifest = JSON.parse(readFileSync(resolve(__dirname, '../public/examples/index.json'), 'utf8')) as { files: string[] };
  await clearSavedSession(page, baseUrl);
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

export interface ShownToken {
  message: number;
  index: number;
  advantage: number;
  policy: number;
  reference: number;
}

/**
 * Scrolls the open transcript from its top to its bottom (it is virtualized: only rows near the
 * viewport exist), calling `read` on each view once two frames have rendered it.
 */
export async function scrollThroughTranscript(page: Page, read: () => Promise<void>): Promise<void> {
  const scroller = page.locator('[data-testid="transcript"] .transcript-scroller');
  await scroller.evaluate((el) => el.scrollTo(0, 0));
  for (let pass = 0; pass < 400; pass++) {
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    await read();
    const atEnd = await scroller.evaluate((el) => {
      const end = el.scrollTop + el.clientHeight >= el.scrollHeight - 1;
      el.scrollBy(0, Math.max(100, el.clientHeight * 0.8));
      return end;
    });
    if (atEnd) break;
  }
}

/**
 * Every scored token of the open transcript, in order. The transcript is virtualized (only rows
 * near the viewport exist) and renders new results deferred, so this waits for the expected number
 * of tokens while scrolling it from top to bottom.
 */
export async function collectShownTokens(page: Page, expectedCount: number): Promise<ShownToken[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const byPlace = new Map<string, ShownToken>();
    await scrollThroughTranscript(page, async () => {
      const seen = await page.$$eval('[data-testid="scored-step"] [data-testid="token"]', (els) =>
        els.map((t) => ({
          message: Number(t.closest('[data-testid="scored-step"]')!.getAttribute('data-message')),
          index: Number(t.getAttribute('data-index')),
          advantage: Number(t.getAttribute('data-advantage')),
          policy: Number(t.getAttribute('data-logprob-policy')),
          reference: Number(t.getAttribute('data-logprob-reference')),
        })),
      );
      for (const t of seen) byPlace.set(`${t.message}:${t.index}`, t);
    });
    const tokens = [...byPlace.values()].sort((a, b) => a.message - b.message || a.index - b.index);
    if (tokens.length >= expectedCount || Date.now() > deadline) return tokens;
    await page.waitForTimeout(200);
  }
}

/** The `data-advantage` text of every scored token of the open transcript, in order, scrolling through its virtualized rows. */
export async function allTokenAdvantageTexts(page: Page): Promise<string[]> {
  const byPlace = new Map<string, { message: number; index: number; text: string }>();
  const scroller = page.locator('[data-testid="transcript"] .transcript-scroller');
  if ((await scroller.count()) === 0) return [];
  await scroller.evaluate((el) => el.scrollTo(0, 0));
  for (let pass = 0; pass < 400; pass++) {
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    const seen = await page.$$eval('[data-testid="transcript"] [data-testid="scored-step"] [data-testid="token"]', (els) =>
      els.map((t) => ({
        message: Number(t.closest('[data-testid="scored-step"]')!.getAttribute('data-message')),
        index: Number(t.getAttribute('data-index')),
        text: t.getAttribute('data-advantage') ?? '',
      })),
    );
    for (const t of seen) byPlace.set(`${t.message}:${t.index}`, t);
    const atEnd = await scroller.evaluate((el) => {
      const end = el.scrollTop + el.clientHeight >= el.scrollHeight - 1;
      el.scrollBy(0, Math.max(100, el.clientHeight * 0.8));
      return end;
    });
    if (atEnd) break;
  }
  await scroller.evaluate((el) => el.scrollTo(0, 0));
  return [...byPlace.values()].sort((a, b) => a.message - b.message || a.index - b.index).map((t) => t.text);
}

/** Loads two local model folders (`root/policy`, `root/reference`) as the pair, on the given device, and waits for `ready`. */
export async function loadFolderPair(page: Page, root: string, device: 'wasm' | 'webgpu' = 'wasm'): Promise<void> {
  await page.getByTestId('model-source').selectOption('folders');
  await page.getByTestId('model-folder-policy').setInputFiles(join(root, 'policy'));
  await page.getByTestId('model-folder-reference').setInputFiles(join(root, 'reference'));
  await page.getByTestId('model-device').selectOption(device);
  await page.getByTestId('load-models').click();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await page.getByTestId('model-status').textContent();
    if (status === 'ready') return;
    if (status === 'error') throw new Error(`the model pair did not load: ${await page.getByTestId('model-error').textContent()}`);
    if (Date.now() > deadline) throw new Error(`the model pair did not load in time (status: ${status})`);
    await page.waitForTimeout(200);
  }
}

export interface MainThreadTask {
  /** Wall time of the task. */
  wallMs: number;
  /** Time the page's main thread actually ran during it: on a loaded machine a task's wall time includes waiting for a core. */
  cpuMs: number;
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

/**
 * Records the page's main-thread tasks (Chrome trace `RunTask` events) until `stop()`. What the
 * tests bound is `cpuMs`: how long the page's own work blocked its thread, which other processes
 * on a shared 2-core machine cannot inflate (a PerformanceObserver('longtask') reports wall time,
 * and a descheduled 2 ms layout shows up there as 60 ms).
 */
export async function traceMainThreadTasks(page: Page): Promise<{ stop(): Promise<MainThreadTask[]> }> {
  const cdp = await page.context().newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (data) => {
    events.push(...(data.value as unknown as TraceEvent[]));
  });
  await cdp.send('Tracing.start', { categories: 'disabled-by-default-devtools.timeline,devtools.timeline', transferMode: 'ReportEvents' });
  return {
    async stop() {
      const complete = new Promise((done) => cdp.once('Tracing.tracingComplete', done));
      await cdp.send('Tracing.end');
      await complete;
      await cdp.detach();
      const mainThreads = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
      return events
        .filter((e) => e.name === 'RunTask' && e.ph === 'X' && mainThreads.has(`${e.pid}:${e.tid}`))
        .map((e) => ({ wallMs: (e.dur ?? 0) / 1000, cpuMs: (e.tdur ?? e.dur ?? 0) / 1000 }));
    },
  };
}

/** One line for the test log: the longest tasks by CPU time, with their wall time. */
export function describeTasks(tasks: readonly MainThreadTask[], over = 50): string {
  const long = tasks.filter((task) => task.cpuMs >= over || task.wallMs >= over);
  return long.length === 0 ? 'none' : long.map((task) => `${Math.round(task.cpuMs)} ms CPU (${Math.round(task.wallMs)} ms wall)`).join(', ');
}

export interface ChromiumProcess {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  pageErrors: string[];
  /** Kills Chromium and every process it started with SIGKILL (a crash: nothing is flushed or closed), and waits until they are gone. */
  kill(): Promise<void>;
  /** Closes the browser normally. */
  close(): Promise<void>;
}

/**
 * Chromium started as its own process group on a given profile (not through playwright's launcher),
 * driven over the DevTools protocol, so that a test can kill it as a crash would and start it
 * again on the same profile.
 */
export async function launchChromiumProcess(profileDir: string): Promise<ChromiumProcess> {
  const child = spawn(CHROMIUM_PATH, [...CHROMIUM_ARGS, `--user-data-dir=${profileDir}`, '--remote-debugging-port=0', '--window-size=1280,800', 'about:blank'], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`Chromium printed no DevTools endpoint in 30 s: ${text}`)), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited (${code}) before it listened: ${text}`));
    });
  });
  const browser = await chromium.connectOverCDP(endpoint);
  const context = browser.contexts()[0];
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`console.error: ${m.text()}`);
  });
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  return {
    browser,
    context,
    page,
    pageErrors,
    async kill() {
      killGroup();
      await exited;
    },
    async close() {
      await browser.close().catch(() => undefined);
      killGroup();
      await exited;
    },
  };
}
