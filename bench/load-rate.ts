/**
 * `npx tsx bench/load-rate.ts [--kind agent|scores|small-scores] [--mb N] [--file PATH]`: how fast
 * the app loads one big JSON Lines file, and whether the rate holds as the session grows
 * (BENCHMARKS.md, "Loading big files"). Builds the app, serves it as test/e2e/global-setup.ts does,
 * opens it in Chromium (tools/browser.ts), gives it the file and samples the list's count every
 * second: trajectories/s over the first and the last quarter of the records, the whole load, the
 * page's JavaScript heap and the summed resident memory of Chromium's processes (peak).
 * The file is generated in a temporary folder (tools/generated.ts) unless --file names one.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, preview } from 'vite';
import { clearSavedSession, openBrowser } from '../tools/browser';
import { longScoreRecord, writeAgentRecordsFile } from '../tools/generated';

const REPO = resolve(import.meta.dirname, '..');

async function writeLines(path: string, bytes: number, line: (n: number) => string): Promise<number> {
  const out = createWriteStream(path);
  let written = 0;
  let n = 0;
  for (; written < bytes; n++) {
    const text = `${line(n)}\n`;
    written += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return n;
}

/** Generates the file; returns how many trajectories it holds. */
function generate(kind: string, path: string, bytes: number): Promise<number> {
  if (kind === 'agent') return writeAgentRecordsFile(path, bytes);
  // 50 scored steps of 8 tokens (about 12.5 KB a line).
  if (kind === 'scores') return writeLines(path, bytes, (n) => JSON.stringify(longScoreRecord(400, { id: `s${n}`, taskId: `task-${n % 97}` })));
  // Two scored steps of a few tokens (about 250 bytes a line): many trajectories per megabyte.
  if (kind === 'small-scores')
    return writeLines(path, bytes, (n) =>
      JSON.stringify({ id: `s${n}`, taskId: `task-${n % 97}`, reward: n % 3 === 0 ? 1 : 0, steps: [{ message: 1, policy: [-(n % 7) / 3, -1.25], reference: [-1, -1.5], tokens: [' call', ' get'] }, { message: 3, policy: [-0.5], reference: [-1], tokens: ['ok'] }] }),
    );
  throw new Error(`--kind: agent, scores or small-scores, not ${kind}`);
}

/** Resident memory of every Chromium process, in MB. */
function chromiumRssMB(): number {
  const out = execFileSync('ps', ['-eo', 'rss=,comm=']).toString();
  let kb = 0;
  for (const line of out.split('\n')) if (/chrom/.test(line)) kb += Number(line.trim().split(/\s+/)[0]);
  return Math.round(kb / 1024);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { kind: { type: 'string', default: 'agent' }, mb: { type: 'string', default: '629' }, file: { type: 'string' } } });
  const dir = mkdtempSync(join(tmpdir(), 'pa-load-rate-'));
  const file = values.file ?? join(dir, `big.${values.kind}.jsonl`);
  const records = values.file ? Number.NaN : await generate(values.kind!, file, Number(values.mb) * 1024 * 1024);
  const size = statSync(file).size;
  process.env.NODE_ENV = 'production';
  await build({ configFile: resolve(REPO, 'vite.config.ts'), root: REPO, mode: 'production', logLevel: 'warn', build: { outDir: join(dir, 'build'), emptyOutDir: true, sourcemap: false } });
  const server = await preview({ configFile: resolve(REPO, 'vite.config.ts'), root: REPO, logLevel: 'warn', build: { outDir: join(dir, 'build') }, preview: { port: 46000 + Math.floor(Math.random() * 2000), host: '127.0.0.1' } });
  const session = await openBrowser();
  try {
    const { page } = session;
    // A fresh session with its example files read (tools/browser.ts' openAppWithExamples, which needs CommonJS' __dirname).
    const url = server.resolvedUrls!.local[0];
    await clearSavedSession(page, url);
    await page.goto(url);
    await page.waitForFunction(() => {
      const items = Array.from(document.querySelectorAll('[data-testid="file-item"]'));
      return items.length > 0 && items.every((i) => i.getAttribute('data-status') !== 'parsing');
    });
    const count = async () => Number(await page.getByTestId('trajectory-count').getAttribute('data-count'));
    const before = await count();
    const item = page.getByTestId('file-item').last();
    const started = Date.now();
    await page.getByTestId('file-input').setInputFiles(file);
    const samples: { t: number; n: number }[] = [];
    let peakRss = 0;
    let peakHeap = 0;
    for (;;) {
      await page.waitForTimeout(1000);
      const done = (await item.getAttribute('data-status')) !== 'parsing' && (await item.textContent())?.includes(file.split('/').pop()!);
      const n = (await count()) - before;
      samples.push({ t: Date.now() - started, n });
      peakRss = Math.max(peakRss, chromiumRssMB());
      peakHeap = Math.max(peakHeap, await page.evaluate(() => Math.round(((performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0) / 2 ** 20)));
      if (done && (Number.isNaN(records) || n >= records)) break;
    }
    const total = samples[samples.length - 1];
    const at = (share: number) => samples.find((s) => s.n >= total.n * share)!;
    const rate = (a: { t: number; n: number }, b: { t: number; n: number }) => Math.round(((b.n - a.n) * 1000) / (b.t - a.t));
    const firstQuarter = at(0.25);
    // The last sample at or below three quarters: the list grows in steps, and the step past 75 % may be the last.
    const lastQuarter = samples.filter((s) => s.n <= total.n * 0.75).pop()!;
    console.log(
      JSON.stringify({
        file: `${values.file ?? values.kind} (${(size / 2 ** 20).toFixed(0)} MiB, ${total.n} trajectories)`,
        seconds: total.t / 1000,
        perSecond: { whole: rate({ t: 0, n: 0 }, total), firstQuarter: rate({ t: 0, n: 0 }, firstQuarter), lastQuarter: rate(lastQuarter, total) },
        peakPageHeapMB: peakHeap,
        peakChromiumRssMB: peakRss,
        pageErrors: session.pageErrors,
      }),
    );
  } finally {
    await session.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
