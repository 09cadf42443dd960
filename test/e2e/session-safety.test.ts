/**
 * What a saved session survives, in the production build (issue 14, items 1–3):
 * - a crash: Chromium killed (SIGKILL, its whole process group) in the middle of a scoring job of
 *   9,600 trajectories; started again on the same profile, the scores computed more than a few
 *   seconds before the crash are there, the resume offers exactly the rest, and the resumed job
 *   scores only those;
 * - two tabs on one profile (session-tabs.test.ts);
 * - a failed write: a quota, and a full disk (session-storage-full.test.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launchChromiumProcess, type ChromiumProcess } from '../../tools/browser';
import { savedCounts, sessionReady, waitForJobEnd, waitForFirstVisitDemo } from './session-helpers';

const baseUrl = inject('baseUrl');
const REPEATS = 150;
const FILE = 'episodes-9600.jsonl';

let root: string;
let chromium: ChromiumProcess | undefined;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pa-crash-'));
  // The demo episodes, repeated with distinct ids: trajectories the demo pair scores quickly, none a cache hit.
  const lines = readFileSync(resolve(__dirname, '../../public/examples/demo-episodes.jsonl'), 'utf8').trim().split('\n');
  const rows: string[] = [];
  for (let r = 0; r < REPEATS; r++) for (const line of lines) rows.push(JSON.stringify({ ...JSON.parse(line), id: `${JSON.parse(line).id}-copy-${r}` }));
  writeFileSync(join(root, FILE), rows.join('\n') + '\n');
});

afterEach(async () => {
  await chromium?.close();
  chromium = undefined;
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** How many trajectories the page shows as scored by the running job, sampled with the time. */
interface Sample {
  at: number;
  done: number;
}

describe('a crash in the middle of a scoring job', () => {
  it('loses at most the last few seconds of scores; the resume scores only the rest', async () => {
    const profile = join(root, 'profile');
    chromium = await launchChromiumProcess(profile);
    let { page } = chromium;
    await page.goto(baseUrl);
    await sessionReady(page);
    // The first visit loads the demo pair and scores the examples; their scores are saved.
    const examples = await waitForFirstVisitDemo(page);
    await expect.poll(async () => (await savedCounts(page)).results, { timeout: 30_000 }).toBe(examples);

    const total = REPEATS * examples;
    await page.getByTestId('file-input').setInputFiles(join(root, FILE));
    await expect.poll(async () => Number(await page.getByTestId('trajectory-count').getAttribute('data-count')), { timeout: 60_000 }).toBe(examples + total);
    await expect.poll(async () => (await savedCounts(page)).files, { timeout: 60_000 }).toBe(2);
    await page.getByTestId('score-all').click();
    const progress = page.getByTestId('scoring-progress');

    // Sample the progress; read IndexedDB while the job runs: scores are there before it ends.
    const samples: Sample[] = [];
    let savedWhileRunning = 0;
    const started = Date.now();
    for (;;) {
      const done = Number(await progress.getAttribute('data-done'));
      samples.push({ at: Date.now(), done });
      if ((done >= total * 0.2 && Date.now() - started > 12_000) || done >= total * 0.7) break;
      if (samples.length % 4 === 0) savedWhileRunning = (await savedCounts(page)).results - examples;
      expect(await progress.getAttribute('data-running'), 'the job ended before the crash: make it longer').toBe('true');
      await page.waitForTimeout(250);
    }
    expect(savedWhileRunning, 'scores are written while the job runs').toBeGreaterThan(0);
    const killedAt = Date.now();
    const doneAtKill = samples[samples.length - 1].done;
    await chromium.kill();
    // What the page showed as scored this long before the crash must have been saved.
    const CRASH_LOSS_BOUND_MS = 5000;
    const doneBefore = samples.filter((s) => s.at <= killedAt - CRASH_LOSS_BOUND_MS).at(-1)?.done ?? 0;

    chromium = await launchChromiumProcess(profile);
    page = chromium.page;
    // A same-origin document that is not the app: the database as the crash left it, before the app reads or writes.
    await page.goto(new URL('favicon.svg', baseUrl).href);
    const afterCrash = await savedCounts(page);
    const saved = afterCrash.results - examples;
    // The work lost: from when the page first showed more than was saved, to the crash.
    const firstUnsaved = samples.find((s) => s.done > saved)?.at ?? killedAt;
    console.log(
      `crash after ${((killedAt - started) / 1000).toFixed(1)} s: ${doneAtKill} of ${total} scored on the page, ${saved} saved, ` +
        `${Math.max(0, doneAtKill - saved)} lost = the last ${((killedAt - firstUnsaved) / 1000).toFixed(1)} s of work (${doneBefore} were scored ${CRASH_LOSS_BOUND_MS / 1000} s before the crash); ${savedWhileRunning} were saved while it ran`,
    );
    expect(afterCrash.job).toBe(1);
    expect(afterCrash.trajectories).toBe(examples + total);
    expect(afterCrash.scoreCache).toBe(afterCrash.results);
    expect(saved).toBeGreaterThanOrEqual(doneBefore);
    expect(saved).toBeGreaterThan(0);
    // The crash came mid-job (a result may have landed between the last sample and the kill: no upper bound from the samples).
    expect(saved).toBeLessThan(total);

    // The app on the same profile: the session is back, the job resumes (the demo pair reloads by itself) with only the rest.
    chromium.pageErrors.length = 0; // the browser's own request for /favicon.ico above
    await page.goto(baseUrl);
    await sessionReady(page);
    await expect.poll(async () => Number(await page.getByTestId('trajectory-count').getAttribute('data-count')), { timeout: 60_000 }).toBe(examples + total);
    const left = total - saved;
    const resumed = await waitForJobEnd(page, 180_000, async () => {
      // The page may offer the resume before the pair is back; it resumes by itself once it is.
      const offered = await page.evaluate(() => document.querySelector('[data-testid="interrupted-job"]')?.getAttribute('data-left') ?? null);
      if (offered !== null) expect(Number(offered)).toBe(left);
    });
    expect(resumed).toEqual({ done: left, total: left, reused: 0 });
    await expect.poll(async () => savedCounts(page), { timeout: 60_000 }).toMatchObject({ results: examples + total, job: 0 });
    expect(chromium.pageErrors).toEqual([]);
  });
});
