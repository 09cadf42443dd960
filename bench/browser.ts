/**
 * The browser figures of `npm run bench`, in headless Chromium (launched as tools/browser.ts
 * launches it) against a production build served by `vite preview` with the app's headers
 * (COOP/COEP, CSP), as test/e2e/global-setup.ts serves it. The build has one extra page,
 * bench/page/bench.html, whose worker runs the product's engine on onnxruntime-web.
 *
 *  - wasmVsNative / webgpuMatchesWasm / realShapeWasmVsNative: the benchmark page.
 *  - firstRenderMs / longTasksDuringScroll: the app opens a 100,000-token score file (the approach
 *    of test/e2e/inspector.test.ts).
 *  - parseMBps: the app reads a 50 MB JSON Lines file in its ingestion worker (the approach of
 *    test/e2e/large-file.test.ts).
 */
import { cpSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, loadConfigFromFile, mergeConfig, preview, type InlineConfig, type PreviewServer } from 'vite';
import { serializeScoreRecord } from '../src/core/scores/format';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tools/browser';
import { longScoreRecord, writeAgentRecordsFile } from '../tools/generated';
import type { BenchWorkerApi, ModelShape, WasmThroughputResult, WebGpuCheckResult } from './page/bench.worker';
import { agentRanges, randomTokens, writeModelFolder, type BenchModel } from './models';

const REPO = resolve(import.meta.dirname, '..');
const BENCH_PAGE = 'bench/page/bench.html';
/** Folder of the build output where the benchmark's model folders are written (served as static files). */
const MODELS_DIR = 'bench-models';

export interface BrowserBenchOptions {
  /** Which measurements to make. */
  groups: ReadonlySet<BrowserGroup>;
  wasmModel: BenchModel;
  wasmTokens: number;
  wasmRepetitions: number;
  webgpuModel: BenchModel;
  /** Tokens of the 100,000-token trajectory (50 steps). */
  renderTokens: number;
  /** Bytes of the JSON Lines file parsed in the ingestion worker. */
  parseBytes: number;
  /** Tokens/s of the plain onnxruntime-node session on `wasmModel`, timed just before and just after the WASM run. */
  nativeTokensPerSecond(): Promise<number>;
  /** The real-shape model (bench/real-shape.ts) for realShapeWasmVsNative: its folder is copied into the served build. */
  realShape?: RealShapeWasmOptions;
  log(line: string): void;
}

export type BrowserGroup = 'wasm' | 'webgpu' | 'render' | 'parse' | 'realShapeWasm';

export interface RealShapeWasmOptions {
  /** The folder holding `modelId/` (config, tokenizer, onnx/model_q4.onnx). */
  folderRoot: string;
  modelId: string;
  shape: Required<ModelShape>;
  tokens: number;
  repetitions: number;
  /** Positions per run of the plain WASM session (carrying the KV cache), as the native reference runs them. */
  plainChunk: number;
  /** Tokens/s of the plain onnxruntime-node reference on the same folder, timed just before and just after the WASM run. */
  nativeTokensPerSecond(): Promise<number>;
}

export interface BrowserFigures {
  wasm: (WasmThroughputResult & { nativeTokensPerSecondAround: number[] }) | null;
  realShapeWasm: (WasmThroughputResult & { nativeTokensPerSecondAround: number[]; tokens: number }) | null;
  webgpu: WebGpuCheckResult | null;
  firstRenderMs: number | null;
  longTasksDuringScroll: number | null;
  longTaskDurationsMs: number[] | null;
  parseMBps: number | null;
  parseRecords: number | null;
  chromiumVersion: string;
  /** What failed, by figure (the other figures are still measured). */
  errors: Record<string, string>;
}

async function buildAndServe(): Promise<{ server: PreviewServer; outDir: string; baseUrl: string }> {
  const loaded = await loadConfigFromFile({ command: 'build', mode: 'production' }, resolve(REPO, 'vite.config.ts'), REPO, 'warn');
  if (!loaded) throw new Error('cannot load vite.config.ts');
  const outDir = mkdtempSync(join(tmpdir(), 'pa-bench-build-'));
  const base: InlineConfig = { ...loaded.config, configFile: false, root: REPO, logLevel: 'warn' };
  // Vitest and some shells set NODE_ENV=test/development, which would build React's development variant.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build(
      mergeConfig(base, {
        mode: 'production',
        build: {
          outDir,
          emptyOutDir: true,
          sourcemap: false,
          rollupOptions: { input: { main: resolve(REPO, 'index.html'), bench: resolve(REPO, BENCH_PAGE) } },
        },
      }),
    );
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  const port = 45000 + Math.floor(Math.random() * 2000);
  const server = await preview(mergeConfig(base, { build: { outDir }, preview: { port, strictPort: false, host: '127.0.0.1' } }));
  const baseUrl = server.resolvedUrls?.local[0];
  if (!baseUrl) throw new Error('vite preview did not report its URL');
  return { server, outDir, baseUrl };
}

async function openPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  return context.newPage();
}

/** The benchmark page, with its worker ready. */
async function openBenchPage(browser: Browser, baseUrl: string): Promise<Page> {
  const page = await openPage(browser);
  await page.goto(new URL(BENCH_PAGE, baseUrl).href);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 30_000 });
  return page;
}

type PaBenchWindow = { paBench: import('comlink').Remote<BenchWorkerApi> };

async function measureWasm(browser: Browser, baseUrl: string, options: BrowserBenchOptions): Promise<NonNullable<BrowserFigures['wasm']>> {
  const page = await openBenchPage(browser, baseUrl);
  try {
    const { config } = options.wasmModel;
    const request = {
      modelsPath: `/${MODELS_DIR}/`,
      modelId: options.wasmModel.id,
      shape: { vocabSize: config.vocabSize, embeddingDim: config.embeddingDim, layerCount: config.layerCount, headCount: config.headCount },
      tokenIds: randomTokens(options.wasmTokens + 1, config.vocabSize, 7),
      repetitions: options.wasmRepetitions,
    };
    // The machine is shared: the native reference is timed on both sides of the WASM run.
    const before = await options.nativeTokensPerSecond();
    const wasm = await page.evaluate((r) => (window as unknown as PaBenchWindow).paBench.wasmThroughput(r), request);
    const after = await options.nativeTokensPerSecond();
    return { ...wasm, nativeTokensPerSecondAround: [before, after] };
  } finally {
    await page.context().close();
  }
}

async function measureRealShapeWasm(browser: Browser, baseUrl: string, realShape: RealShapeWasmOptions): Promise<NonNullable<BrowserFigures['realShapeWasm']>> {
  if (!realShape) throw new Error('no real-shape model was built');
  const page = await openBenchPage(browser, baseUrl);
  try {
    const request = {
      modelsPath: `/${MODELS_DIR}/`,
      modelId: realShape.modelId,
      shape: realShape.shape,
      tokenIds: randomTokens(realShape.tokens + 1, realShape.shape.vocabSize, 7),
      repetitions: realShape.repetitions,
      dtype: 'q4' as const,
      onnxFile: 'onnx/model_q4.onnx',
      plainChunk: realShape.plainChunk,
    };
    const before = await realShape.nativeTokensPerSecond();
    const wasm = await page.evaluate((r) => (window as unknown as PaBenchWindow).paBench.wasmThroughput(r), request);
    const after = await realShape.nativeTokensPerSecond();
    return { ...wasm, nativeTokensPerSecondAround: [before, after], tokens: realShape.tokens };
  } finally {
    await page.context().close();
  }
}

async function measureWebGpu(browser: Browser, baseUrl: string, options: BrowserBenchOptions): Promise<WebGpuCheckResult> {
  const page = await openBenchPage(browser, baseUrl);
  try {
    const { config } = options.webgpuModel;
    // Three trajectories sharing a 96-token prefix: per-token figures, then the same with prefix reuse.
    const prefix = randomTokens(96, config.vocabSize, 3);
    const sequences = [0, 1, 2].map((index) => {
      const tokenIds = [...prefix, ...randomTokens(160, config.vocabSize, 20 + index)];
      return { tokenIds, ranges: [{ start: 80, end: 90 }, ...agentRanges(tokenIds.length, 96, 30 + index)] };
    });
    const request = { modelsPath: `/${MODELS_DIR}/`, modelId: options.webgpuModel.id, sequences };
    return await page.evaluate((r) => (window as unknown as PaBenchWindow).paBench.webgpuVsWasm(r), request);
  } finally {
    await page.context().close();
  }
}

/** Opens the app on an empty saved session and waits until its example files are read. */
async function openApp(page: Page, baseUrl: string): Promise<void> {
  await page.goto('about:blank');
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('Storage.clearDataForOrigin', { origin: new URL(baseUrl).origin, storageTypes: 'indexeddb' });
  } finally {
    await cdp.detach();
  }
  await page.goto(baseUrl);
  await page.waitForFunction(
    () => {
      const items = Array.from(document.querySelectorAll('[data-testid="file-item"]'));
      return items.length > 0 && items.every((item) => item.getAttribute('data-status') !== 'parsing');
    },
    undefined,
    { timeout: 60_000 },
  );
}

/** A score file of one trajectory: 50 steps of `tokens / 50` tokens, the record test/e2e/inspector.test.ts opens. */
function longScoreFile(directory: string, tokens: number): string {
  const path = join(directory, 'bench-long.jsonl');
  writeFileSync(path, `${serializeScoreRecord(longScoreRecord(tokens, { id: 'bench-long-run', taskId: 'bench-long' }))}\n`);
  return path;
}

async function measureRender(browser: Browser, baseUrl: string, directory: string, tokens: number): Promise<{ firstRenderMs: number; longTasks: number[] }> {
  const page = await openPage(browser);
  try {
    await openApp(page, baseUrl);
    await page.getByTestId('file-input').setInputFiles(longScoreFile(directory, tokens));
    await page.getByTestId('filter-task').fill('bench-long');
    const row = page.locator('[data-testid="trajectory-row"][data-id="bench-long-run"]');
    await row.waitFor({ timeout: 60_000 });
    const started = await page.evaluate(() => performance.now());
    await row.click();
    await page.locator('[data-testid="token"]').first().waitFor({ timeout: 30_000 });
    const painted = await page.evaluate(() => new Promise<number>((done) => requestAnimationFrame(() => done(performance.now()))));
    await page.evaluate(() => {
      const scope = window as unknown as { __longTasks: number[] };
      scope.__longTasks = [];
      new PerformanceObserver((list) => list.getEntries().forEach((entry) => scope.__longTasks.push(entry.duration))).observe({ type: 'longtask' });
    });
    const scroller = page.locator('.transcript-scroller');
    for (let step = 0; step < 20; step++) {
      await scroller.evaluate((element) => element.scrollBy(0, 1500));
      await page.waitForTimeout(50);
    }
    await scroller.evaluate((element) => element.scrollTo(0, element.scrollHeight));
    await page.waitForTimeout(300);
    const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);
    return { firstRenderMs: Math.round(painted - started), longTasks: longTasks.map(Math.round) };
  } finally {
    await page.context().close();
  }
}

/** A JSON Lines file of agent trajectories of at least `bytes` bytes (the records of test/e2e/large-file.test.ts). */
async function largeTrajectoryFile(directory: string, bytes: number): Promise<{ path: string; records: number }> {
  const path = join(directory, 'bench-large.jsonl');
  return { path, records: await writeAgentRecordsFile(path, bytes, 'bench-run') };
}

/** From the file input's change event to the trajectory count including every record, timed in the page. */
async function measureParse(browser: Browser, baseUrl: string, directory: string, bytes: number): Promise<{ mbps: number; records: number }> {
  const { path, records } = await largeTrajectoryFile(directory, bytes);
  const size = statSync(path).size;
  const page = await openPage(browser);
  try {
    await openApp(page, baseUrl);
    const before = Number(await page.getByTestId('trajectory-count').getAttribute('data-count'));
    await page.evaluate(() => {
      const input = document.querySelector('[data-testid="file-input"]');
      input?.addEventListener('change', () => ((window as unknown as { __parseStarted: number }).__parseStarted = performance.now()), { capture: true, once: true });
    });
    await page.getByTestId('file-input').setInputFiles(path);
    const handle = await page.waitForFunction(
      (expected) => {
        const count = Number(document.querySelector('[data-testid="trajectory-count"]')?.getAttribute('data-count'));
        const started = (window as unknown as { __parseStarted?: number }).__parseStarted;
        return count === expected && started !== undefined ? performance.now() - started : false;
      },
      before + records,
      { timeout: 180_000, polling: 'raf' },
    );
    const elapsedMs = (await handle.jsonValue()) as number;
    return { mbps: Number((size / 1e6 / (elapsedMs / 1000)).toFixed(1)), records };
  } finally {
    await page.context().close();
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

export async function measureBrowser(options: BrowserBenchOptions): Promise<BrowserFigures> {
  const errors: Record<string, string> = {};
  const figures: BrowserFigures = {
    wasm: null,
    realShapeWasm: null,
    webgpu: null,
    firstRenderMs: null,
    longTasksDuringScroll: null,
    longTaskDurationsMs: null,
    parseMBps: null,
    parseRecords: null,
    chromiumVersion: '',
    errors,
  };
  options.log('browser: building the app and the benchmark page (vite build) …');
  const { server, outDir, baseUrl } = await buildAndServe();
  const scratch = mkdtempSync(join(tmpdir(), 'pa-bench-files-'));
  let browser: Browser | null = null;
  try {
    for (const model of [options.wasmModel, options.webgpuModel]) await writeModelFolder(join(outDir, MODELS_DIR), model);
    const { realShape } = options;
    if (realShape && options.groups.has('realShapeWasm')) cpSync(join(realShape.folderRoot, realShape.modelId), join(outDir, MODELS_DIR, realShape.modelId), { recursive: true });
    // WebGPU on the SwiftShader (CPU) adapter, forced, as the correctness reference of the GPU path.
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, '--use-webgpu-adapter=swiftshader'] });
    figures.chromiumVersion = browser.version();
    const steps: [string, BrowserGroup, () => Promise<void>][] = [
      ['wasmVsNative', 'wasm', async () => void (figures.wasm = await measureWasm(browser!, baseUrl, options))],
      ['realShapeWasmVsNative', 'realShapeWasm', async () => void (figures.realShapeWasm = await measureRealShapeWasm(browser!, baseUrl, realShape!))],
      ['webgpuMatchesWasm', 'webgpu', async () => void (figures.webgpu = await measureWebGpu(browser!, baseUrl, options))],
      [
        'firstRenderMs',
        'render',
        async () => {
          const render = await measureRender(browser!, baseUrl, scratch, options.renderTokens);
          figures.firstRenderMs = render.firstRenderMs;
          figures.longTaskDurationsMs = render.longTasks.filter((duration) => duration > 50);
          figures.longTasksDuringScroll = figures.longTaskDurationsMs.length;
        },
      ],
      [
        'parseMBps',
        'parse',
        async () => {
          const parse = await measureParse(browser!, baseUrl, scratch, options.parseBytes);
          figures.parseMBps = parse.mbps;
          figures.parseRecords = parse.records;
        },
      ],
    ];
    for (const [name, group, step] of steps) {
      if (!options.groups.has(group)) continue;
      options.log(`browser: ${name} …`);
      try {
        await step();
      } catch (error) {
        errors[name] = message(error);
        options.log(`browser: ${name} failed: ${errors[name]}`);
      }
    }
  } finally {
    await browser?.close();
    await server.close();
    rmSync(outDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
  return figures;
}
