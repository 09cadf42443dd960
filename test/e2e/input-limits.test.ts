/**
 * Inputs of any count and size in the production build (issue 14, items 4 and 6): a 17 MB JSON
 * array of 150,000 small trajectories loads every one without a long main-thread task, and a
 * 100 MB score file (JSON Lines with per-token figures, the heaviest records the page adopts)
 * loads at a rate that does not fall as the session grows: loading time linear in the file's size.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { describeTasks, openAppWithExamples, openBrowser, traceMainThreadTasks, type BrowserSession } from '../../tools/browser';
import { longScoreRecord, writeSmallTrajectoriesArray } from '../../tools/generated';

const baseUrl = inject('baseUrl');
/** A task this long is a visible hitch (as in large-file.test.ts). */
const MAX_TASK_MS = 400;
/** The second half of a big file loads at no less than this share of the first half's rate (it was flat, 0.9–1.3, when measured). */
const MIN_RATE_RATIO = 0.4;

let session: BrowserSession;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pa-input-limits-'));
  session = await openBrowser();
});

afterAll(async () => {
  await session?.close();
  rmSync(dir, { recursive: true, force: true });
});

const shownCount = async (page: Page) => Number(await page.getByTestId('trajectory-count').getAttribute('data-count'));

/**
 * Opens `file` and samples the list's count until it reaches `expected`: [ms since opening,
 * trajectories of the file]. The file is never shown finished while trajectories are still to come.
 */
async function loadAndSample(page: Page, file: string, expected: number, timeoutMs: number): Promise<{ t: number; n: number }[]> {
  const before = await shownCount(page);
  const started = Date.now();
  await page.getByTestId('file-input').setInputFiles(file);
  const item = page.getByTestId('file-item').filter({ hasText: basename(file) });
  const samples: { t: number; n: number }[] = [];
  for (;;) {
    // The status first: a count read after it is at least as recent.
    const status = await item.getAttribute('data-status');
    const n = (await shownCount(page)) - before;
    samples.push({ t: Date.now() - started, n });
    if (status === 'done') expect(n).toBe(expected);
    if (n >= expected) return samples;
    if (Date.now() - started > timeoutMs) throw new Error(`${n} of ${expected} trajectories after ${timeoutMs} ms`);
    await page.waitForTimeout(200);
  }
}

describe('a JSON array of 150,000 small trajectories (17 MB)', () => {
  it('loads all of them, in slices the page takes without a long task', async () => {
    const file = join(dir, 'many.json');
    const count = 150_000;
    await writeSmallTrajectoriesArray(file, count);
    expect(statSync(file).size).toBeGreaterThan(17_000_000);
    const { page } = session;
    await openAppWithExamples(page, baseUrl);
    const trace = await traceMainThreadTasks(page);
    const samples = await loadAndSample(page, file, count, 90_000);
    const tasks = await trace.stop();
    const elapsed = samples[samples.length - 1].t;
    console.log(`150,000-trajectory JSON array: loaded in ${elapsed} ms; main-thread tasks ≥ 50 ms: ${describeTasks(tasks)}`);
    expect(samples[samples.length - 1].n).toBe(count);
    await expect.poll(() => page.getByTestId('file-item').filter({ hasText: 'many.json' }).getAttribute('data-status')).toBe('done');
    expect(Math.max(0, ...tasks.map((task) => task.cpuMs))).toBeLessThan(MAX_TASK_MS);
    expect(session.pageErrors).toEqual([]);
  }, 180_000);
});

describe('a 100 MB score file (JSON Lines)', () => {
  it('loads every record at a rate that holds to the end', async () => {
    const file = join(dir, 'large.scores.jsonl');
    const out = createWriteStream(file);
    let records = 0;
    for (let bytes = 0; bytes < 100 * 1024 * 1024; records++) {
      // 50 scored steps of 8 tokens each (about 12.5 KB a line).
      const line = `${JSON.stringify(longScoreRecord(400, { id: `s${records}`, taskId: `task-${records % 97}` }))}\n`;
      bytes += Buffer.byteLength(line);
      if (!out.write(line)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');

    const { page } = session;
    await openAppWithExamples(page, baseUrl);
    const samples = await loadAndSample(page, file, records, 110_000);
    const end = samples[samples.length - 1];
    const half = samples.find((s) => s.n >= records / 2)!;
    const firstRate = half.n / half.t;
    const secondRate = (end.n - half.n) / (end.t - half.t);
    console.log(
      `100 MB score file: ${records} records in ${end.t} ms; first half ${Math.round(firstRate * 1000)}/s, second half ${Math.round(secondRate * 1000)}/s`,
    );
    expect(end.n).toBe(records);
    expect(secondRate / firstRate).toBeGreaterThan(MIN_RATE_RATIO);
    expect(session.pageErrors).toEqual([]);
  }, 180_000);
});
