/**
 * Sessions that survive a reload, the score cache, resumable jobs, deep links and the
 * Content-Security-Policy, in the production build:
 * - score, reload: the same trajectories, settings and token advantages, with no scoring job and
 *   no model loaded; re-opening the file and scoring again takes every score from the cache;
 * - a job cut short by a reload offers to resume, and scores only what was missing;
 * - a `#v=1&…` link opens its trajectory, step, tokens, tab and settings once the file is open;
 *   invalid links are ignored with a notice;
 * - a full browser-storage quota is reported with what was kept, and nothing saved is lost
 *   (session-storage-full.test.ts checks the notice's exact text and the bundle it offers);
 * - "Clear session" empties the saved session and the page;
 * - no Content-Security-Policy violation at any point (and an injected inline script is blocked).
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { parseTrajectoryText } from '../../src/core/trajectory';
import { renderPlainTexts } from '../../src/core/render';
import { serializeScoreRecord, type ScoreRecord } from '../../src/core/scores/format';
import { openAppWithExamples, openBrowser, type BrowserSession } from '../../tools/browser';
import { writeRandomPair } from '../../tools/random-pair';
import { SPECIAL_TOKEN_COUNT, modelFolderFiles, randomGpt2Weights, wordLevelVocabularyFromTexts, type Gpt2Config } from '../../lab/model-builder';

const baseUrl = inject('baseUrl');
const FILE = 'support-sessions.jsonl';
const LONG_FILE = 'support-long.jsonl';
const LINK_FILE = 'linked-scores.jsonl';
const DATABASE = 'progress-advantage-session';

const call = (id: string, name: string, args: Record<string, unknown>) => ({ id, type: 'function', function: { name, arguments: JSON.stringify(args) } });
const WORDS = ['seat', 'flight', 'change', 'booking', 'refund', 'window', 'aisle', 'passenger', 'policy', 'fare'];

/** A support conversation; `sentences` makes the agent's messages (and the scoring time) longer. */
function record(i: number, sentences: number) {
  const prose = Array.from({ length: sentences }, (_, s) => `The ${WORDS[(i + s) % WORDS.length]} ${WORDS[(i * 3 + s) % WORDS.length]} is checked now.`).join(' ');
  return {
    id: `support-${i}`,
    task_id: `task-${i % 3}`,
    reward: i % 2,
    messages: [
      { role: 'system', content: 'You are a support agent. Use the tools.' },
      { role: 'user', content: `Please change seat ${i} on flight ${40 + i}` },
      { role: 'assistant', content: `Checking the flight. ${prose}`, tool_calls: [call(`c${i}`, 'get_flight', { flight: 40 + i, seat: i })] },
      { role: 'tool', tool_call_id: `c${i}`, content: `{"seats_free": ${i}}` },
      { role: 'assistant', content: i % 2 ? `Done, your seat is changed. ${prose}` : `Sorry, the seat cannot be changed. ${prose}` },
    ],
  };
}

const shortRecords = Array.from({ length: 6 }, (_, i) => record(i, 2));
const longRecords = Array.from({ length: 40 }, (_, i) => record(100 + i, 30));

/**
 * A wider, deeper random pair than models.ts writes: each trajectory takes long enough on WASM
 * that a reload lands in the middle of a job.
 */
function writeSlowPair(dir: string, texts: readonly string[]): void {
  const vocabulary = wordLevelVocabularyFromTexts(texts);
  const config: Gpt2Config = { vocabSize: SPECIAL_TOKEN_COUNT + vocabulary.length, contextLength: 512, embeddingDim: 128, layerCount: 4, headCount: 4 };
  for (const [name, seed] of [['policy', 31], ['reference', 32]] as const) {
    for (const [path, content] of Object.entries(modelFolderFiles({ config, weights: randomGpt2Weights(config, seed), vocabulary, formats: ['fp32'] }))) {
      const target = join(dir, name, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
  }
}
const jsonl = (rows: readonly object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** A score file (figures inside, no model needed) for the links: 4 trajectories, steps at messages 1 and 3. */
const linkRecords: ScoreRecord[] = Array.from({ length: 4 }, (_, t) => ({
  id: `link-${t}`,
  taskId: 'links',
  reward: t % 2,
  steps: [1, 3].map((message) => ({
    message,
    tokens: ['The', ' agent', ' checks', ' seat', ' 12', '.'],
    policy: [0, 1, 2, 3, 4, 5].map((i) => -((i + t + message) % 4) / 2),
    reference: [0, 1, 2, 3, 4, 5].map((i) => -((i * 3 + t) % 5) / 3),
  })),
}));

let root: string;
let session: BrowserSession | undefined;
/** Content-Security-Policy violations reported by any page of the current browser, across reloads. */
let violations: string[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pa-sessions-'));
  writeFileSync(join(root, FILE), jsonl(shortRecords));
  writeFileSync(join(root, LONG_FILE), jsonl(longRecords));
  writeFileSync(join(root, LINK_FILE), linkRecords.map((r) => serializeScoreRecord(r)).join('\n') + '\n');
  const texts = [...shortRecords, ...longRecords].flatMap((r) => parseTrajectoryText(FILE, JSON.stringify(r)).trajectories.flatMap((t) => renderPlainTexts(t)));
  writeRandomPair(root, texts);
  writeSlowPair(join(root, 'slow'), texts);
});

afterEach(async () => {
  await session?.close();
  session = undefined;
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A fresh browser profile whose pages report CSP violations to the test (the listener is installed before any app script). */
async function freshBrowser(): Promise<BrowserSession> {
  const s = await openBrowser();
  violations = [];
  await s.context.exposeBinding('__reportCspViolation', (_source, text: string) => void violations.push(text));
  await s.context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __reportCspViolation(text: string): void }).__reportCspViolation(`${e.effectiveDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  session = s;
  return s;
}

/** Record counts of the saved session, read straight from IndexedDB. */
async function savedCounts(page: Page): Promise<Record<string, number>> {
  return page.evaluate(
    (name) =>
      new Promise<Record<string, number>>((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const names = Array.from(db.objectStoreNames);
          if (names.length === 0) {
            db.close();
            return resolve({});
          }
          const tx = db.transaction(names, 'readonly');
          const counts: Record<string, number> = {};
          for (const store of names) {
            const request = tx.objectStore(store).count();
            request.onsuccess = () => (counts[store] = request.result);
          }
          tx.oncomplete = () => {
            db.close();
            resolve(counts);
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    DATABASE,
  );
}

/** Waits until the page has restored its saved session (or started a fresh one) and saves changes. */
async function sessionReady(page: Page): Promise<void> {
  await page.locator('[data-testid="session-panel"][data-phase="saving"]').waitFor({ state: 'attached', timeout: 30_000 });
}

async function reload(page: Page): Promise<void> {
  await page.reload();
  await sessionReady(page);
}

async function closeExampleFiles(page: Page): Promise<void> {
  const names = await page.$$eval('[data-testid="file-item"] .file-name', (els) => els.map((e) => e.textContent ?? ''));
  for (const name of names) await page.getByRole('button', { name: `Close ${name}` }).click();
  await expect.poll(() => page.getByTestId('file-item').count()).toBe(0);
}

async function pickFoldersAndLoad(page: Page, pairDir = root): Promise<void> {
  await page.getByTestId('model-source').selectOption('folders');
  await page.getByTestId('model-folder-policy').setInputFiles(join(pairDir, 'policy'));
  await page.getByTestId('model-folder-reference').setInputFiles(join(pairDir, 'reference'));
  await page.getByTestId('model-device').selectOption('wasm');
  await page.getByTestId('load-models').click();
  await expect.poll(() => page.getByTestId('model-status').textContent(), { timeout: 60_000 }).toBe('ready');
}

async function openFile(page: Page, name: string, trajectories: number): Promise<void> {
  const before = Number(await page.getByTestId('trajectory-count').getAttribute('data-count'));
  await page.getByTestId('file-input').setInputFiles(join(root, name));
  await expect.poll(async () => Number(await page.getByTestId('trajectory-count').getAttribute('data-count')), { timeout: 30_000 }).toBe(before + trajectories);
}

async function waitForJobEnd(page: Page, timeout = 120_000): Promise<{ done: number; total: number; reused: number }> {
  const progress = page.getByTestId('scoring-progress');
  await expect.poll(() => progress.getAttribute('data-running'), { timeout }).toBe('false');
  return {
    done: Number(await progress.getAttribute('data-done')),
    total: Number(await progress.getAttribute('data-total')),
    reused: Number(await progress.getAttribute('data-reused')),
  };
}

async function openTrajectory(page: Page, id: string): Promise<void> {
  await page.locator(`[data-testid="trajectory-row"][data-id="${id}"]`).click();
  await expect.poll(() => page.locator('[data-testid="transcript"] h2').textContent()).toBe(id);
}

/** The data-advantage attribute of every token of the selected trajectory, as written (exact text, no rounding). */
async function shownAdvantages(page: Page): Promise<string[]> {
  // The transcript shows new scores a moment after a new header (deferred rendering): wait for the selected one's.
  const key = await page.locator('[data-testid="trajectory-row"][aria-selected="true"]').getAttribute('data-key');
  await page.locator(`[data-testid="transcript"][data-scores-of="${key}"]`).waitFor({ state: 'attached', timeout: 20_000 });
  await page.locator('[data-testid="token"]').first().waitFor({ state: 'attached', timeout: 20_000 });
  return page.$$eval('[data-testid="token"]', (els) => els.map((e) => e.getAttribute('data-advantage') ?? ''));
}

/** The saved session record's selected trajectory, read from IndexedDB. */
async function savedSelectedKey(page: Page): Promise<string | null> {
  return page.evaluate(
    (name) =>
      new Promise<string | null>((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const request = db.transaction('session', 'readonly').objectStore('session').get('current');
          request.onsuccess = () => {
            db.close();
            resolve((request.result as { selectedKey?: string } | undefined)?.selectedKey ?? null);
          };
          request.onerror = () => reject(request.error);
        };
      }),
    DATABASE,
  );
}

async function expectSavedSoon(page: Page, expected: Record<string, number>): Promise<void> {
  await expect.poll(async () => {
    const counts = await savedCounts(page);
    return Object.fromEntries(Object.keys(expected).map((k) => [k, counts[k]]));
  }, { timeout: 20_000 }).toEqual(expected);
}

describe('a session kept in the browser', () => {
  it('comes back after a reload with the same trajectories, settings and scores, without scoring again; the cache serves a re-opened file', async () => {
    const { page, pageErrors } = await freshBrowser();
    await openAppWithExamples(page, baseUrl);
    await closeExampleFiles(page);
    await pickFoldersAndLoad(page);
    await openFile(page, FILE, shortRecords.length);
    await page.getByTestId('score-all').click();
    expect(await waitForJobEnd(page)).toEqual({ done: shortRecords.length, total: shortRecords.length, reused: 0 });

    await page.getByTestId('setting-token-agg').selectOption('max');
    await page.getByTestId('sort-order').selectOption('score-asc');
    await openTrajectory(page, 'support-3');
    const before = await shownAdvantages(page);
    expect(before.length).toBeGreaterThan(10);
    const scoresBefore = await page.$$eval('[data-testid="row-score"]', (els) => els.map((e) => e.getAttribute('data-value')));
    expect(scoresBefore.length).toBe(shortRecords.length);
    // One file, its trajectories, a result and a cache entry per trajectory, no running job; the selection.
    await expectSavedSoon(page, { session: 1, files: 1, trajectories: shortRecords.length, results: shortRecords.length, scoreCache: shortRecords.length, job: 0 });
    const selectedKey = await page.locator('[data-testid="trajectory-row"][aria-selected="true"]').getAttribute('data-key');
    await expect.poll(() => savedSelectedKey(page)).toBe(selectedKey);

    await reload(page);
    await expect.poll(() => page.locator('[data-testid="transcript"] h2').textContent(), { timeout: 20_000 }).toBe('support-3');
    expect(await page.getByTestId('file-item').count()).toBe(1);
    expect(await page.getByTestId('trajectory-count').getAttribute('data-count')).toBe(String(shortRecords.length));
    expect(await shownAdvantages(page)).toEqual(before);
    expect(await page.$$eval('[data-testid="row-score"]', (els) => els.map((e) => e.getAttribute('data-value')))).toEqual(scoresBefore);
    expect(await page.getByTestId('setting-token-agg').inputValue()).toBe('max');
    expect(await page.getByTestId('sort-order').inputValue()).toBe('score-asc');
    // Nothing was scored: no job ran, no model is loaded; the dropped folders are asked for by name.
    expect(await page.getByTestId('scoring-progress').count()).toBe(0);
    expect(await page.getByTestId('model-status').textContent()).toBe('not loaded');
    expect(await page.getByTestId('folders-to-pick').textContent()).toContain('policy “policy” and reference “reference”');

    // The same pair again, the file closed and opened again: every score comes from the cache.
    await pickFoldersAndLoad(page);
    await page.getByRole('button', { name: `Close ${FILE}` }).click();
    await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-count')).toBe('0');
    await openFile(page, FILE, shortRecords.length);
    await page.getByTestId('score-all').click();
    expect(await waitForJobEnd(page)).toEqual({ done: 0, total: 0, reused: shortRecords.length });
    await openTrajectory(page, 'support-3');
    expect(await shownAdvantages(page)).toEqual(before);

    // Clear session: asks first, then empties the page and the database.
    await page.getByTestId('clear-session').click();
    await page.getByTestId('clear-session-cancel').click();
    expect(await page.getByTestId('file-item').count()).toBe(1);
    await page.getByTestId('clear-session').click();
    await page.getByTestId('clear-session-confirm').click();
    await expect.poll(() => page.getByTestId('file-item').count()).toBe(0);
    expect(await page.getByTestId('trajectory-count').getAttribute('data-count')).toBe('0');
    expect(await page.getByTestId('setting-token-agg').inputValue()).toBe('mean');
    await expectSavedSoon(page, { session: 0, files: 0, trajectories: 0, results: 0, scoreCache: 0, job: 0 });
    // An untouched cleared session reloads as a fresh one: the examples.
    await reload(page);
    await expect.poll(() => page.getByTestId('file-item').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="file-item"] .file-name').allTextContents()).not.toContain(FILE);

    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('resumes a job cut short by a reload, scoring only the trajectories that were missing', async () => {
    const { page, pageErrors } = await freshBrowser();
    await openAppWithExamples(page, baseUrl);
    await closeExampleFiles(page);
    await pickFoldersAndLoad(page, join(root, 'slow'));
    await openFile(page, LONG_FILE, longRecords.length);
    await page.getByTestId('score-all').click();
    const progress = page.getByTestId('scoring-progress');
    // Let a few trajectories finish and be saved, then reload in the middle of the job.
    await expect.poll(async () => Number(await progress.getAttribute('data-done')), { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(3);
    await expect.poll(async () => (await savedCounts(page)).results ?? 0, { timeout: 20_000, interval: 50 }).toBeGreaterThanOrEqual(2);
    expect(await progress.getAttribute('data-running')).toBe('true');
    await reload(page);

    const resume = page.getByTestId('resume-scoring');
    await resume.waitFor({ timeout: 20_000 });
    const left = Number(await page.getByTestId('interrupted-job').getAttribute('data-left'));
    const saved = (await savedCounts(page)).results;
    console.log(`job interrupted by a reload: ${saved} of ${longRecords.length} trajectories saved, ${left} left to resume`);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(longRecords.length);
    expect(saved + left).toBe(longRecords.length);
    expect(await resume.textContent()).toBe(`Resume scoring (${left} left)`);
    // The folders must be picked again: resuming is not possible until then, and the page says so.
    expect(await resume.isDisabled()).toBe(true);
    expect(await page.getByTestId('interrupted-job').textContent()).toContain('Pick the model folders again');

    // Loading the same pair resumes by itself, with only the missing trajectories.
    await pickFoldersAndLoad(page, join(root, 'slow'));
    expect(await waitForJobEnd(page)).toEqual({ done: left, total: left, reused: 0 });
    expect(await page.getByTestId('resume-scoring').count()).toBe(0);
    await expectSavedSoon(page, { results: longRecords.length, job: 0 });
    expect(await page.getByTestId('trajectory-count').getAttribute('data-count')).toBe(String(longRecords.length));

    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('reports a full storage quota with what was kept, and loses nothing already saved', async () => {
    const { page, context, pageErrors } = await freshBrowser();
    // Browsers check quota when a site's storage is opened: set a small one before the app starts.
    const cdp = await context.newCDPSession(page);
    const origin = new URL(baseUrl).origin;
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 400_000 });
    await openAppWithExamples(page, baseUrl);
    await sessionReady(page);
    await openFile(page, FILE, shortRecords.length);
    const kept = Number(await page.getByTestId('trajectory-count').getAttribute('data-count'));
    const files = await page.getByTestId('file-item').count();
    await expectSavedSoon(page, { files, trajectories: kept });
    // About 1 MB of trajectories: more than the quota leaves.
    const big = Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: `big-${i}`, messages: [{ role: 'user', content: `${'a long request '.repeat(1300)}${i}` }, { role: 'assistant', content: `done ${i}` }] }));
    writeFileSync(join(root, 'big.jsonl'), big.join('\n') + '\n');
    await openFile(page, 'big.jsonl', big.length);
    const notice = page.getByTestId('save-failure');
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.textContent()).toContain('Browser storage is full: the latest changes are kept in this tab only, not for the next visit.');
    expect(await notice.textContent()).toContain(`Kept in this browser: ${files} files, ${kept} trajectories, 0 scored trajectories.`);
    // The page keeps everything it has.
    expect(await page.getByTestId('trajectory-count').getAttribute('data-count')).toBe(String(kept + big.length));

    await reload(page);
    await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-count'), { timeout: 20_000 }).toBe(String(kept));
    expect(await page.getByTestId('file-item').count()).toBe(files);
    expect(await page.locator('[data-testid="file-item"] .file-name').allTextContents()).toContain(FILE);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    await cdp.detach();
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

describe('links to a view', () => {
  const link = `v=1&file=${LINK_FILE}&traj=link-2&step=3&tokens=1-4&tab=trajectory&tagg=max&sagg=min&mode=per-model&method=progress&beta=0.5&k=2&pred=sharpest_drop&range=3`;

  it('open the named trajectory, step, tokens and settings once the file is open, and follow the view', async () => {
    const { page, pageErrors } = await freshBrowser();
    await openAppWithExamples(page, baseUrl);
    await page.goto(`${baseUrl}#${link}`);
    await reload(page);
    const notice = page.getByTestId('link-notice');
    await notice.waitFor({ timeout: 20_000 });
    expect(await notice.getAttribute('data-pending')).toBe('true');
    expect(await notice.textContent()).toContain(`link-2 from ${LINK_FILE}`);
    // Settings apply at once.
    expect(await page.getByTestId('setting-token-agg').inputValue()).toBe('max');
    expect(await page.getByTestId('setting-step-agg').inputValue()).toBe('min');
    expect(await page.getByTestId('setting-mode').inputValue()).toBe('per-model');
    expect(await page.getByTestId('setting-beta').inputValue()).toBe('0.5');
    expect(await page.getByTestId('setting-k').inputValue()).toBe('2');
    expect(await page.getByTestId('setting-predictor').inputValue()).toBe('sharpest_drop');
    expect(await page.getByTestId('setting-colour-range').inputValue()).toBe('3');
    // The address keeps the link while it waits for its file.
    expect(await page.evaluate(() => location.hash)).toBe(`#${link}`);

    await openFile(page, LINK_FILE, linkRecords.length);
    await expect.poll(() => page.locator('[data-testid="transcript"] h2').textContent(), { timeout: 20_000 }).toBe('link-2');
    await page.getByTestId('filter-file').selectOption({ label: LINK_FILE });
    expect(await page.getByTestId('link-notice').count()).toBe(0);
    await expect.poll(() => page.locator('[data-testid="scored-step"][data-message="3"] [data-marked]').evaluateAll((els) => els.map((e) => e.getAttribute('data-index'))), { timeout: 20_000 }).toEqual(['1', '2', '3']);
    expect(await page.locator('[data-testid="transcript"] .focused').first().getAttribute('data-message-index')).toBe('3');
    // β = 0.5 reaches the tokens: A = β·(log π_θ − log π_ref).
    const step = linkRecords[2].steps[1];
    const first = await page.locator('[data-testid="scored-step"][data-message="3"] [data-testid="token"]').first().getAttribute('data-advantage');
    expect(Number(first)).toBeCloseTo(0.5 * (step.policy[0] - step.reference[0]), 12);

    // Navigating rewrites the hash in place (no history entry per click).
    const historyLength = await page.evaluate(() => history.length);
    await openTrajectory(page, 'link-0');
    await expect.poll(() => page.evaluate(() => new URLSearchParams(location.hash.slice(1)).get('traj'))).toBe('link-0');
    await page.locator('[data-testid="scored-step"][data-message="1"] [data-testid="token"][data-index="2"]').click();
    await page.locator('[data-testid="scored-step"][data-message="1"] [data-testid="token"][data-index="4"]').click({ modifiers: ['Shift'] });
    await expect.poll(() => page.evaluate(() => Object.fromEntries(new URLSearchParams(location.hash.slice(1))))).toMatchObject({ v: '1', file: LINK_FILE, traj: 'link-0', step: '1', tokens: '2-5', tagg: 'max', beta: '0.5' });
    expect(await page.evaluate(() => history.length)).toBe(historyLength);

    // The link, opened in a new tab, shows its view over the saved session (which has another trajectory open).
    const here = await page.evaluate(() => location.href);
    await openTrajectory(page, 'link-3');
    await page.waitForTimeout(1000);
    const tab = await page.context().newPage();
    await tab.goto(here);
    // The first tab keeps the session: this one shows it (and the link's view) without saving (session-tabs.test.ts).
    await tab.locator('[data-testid="session-panel"][data-phase="another-tab"]').waitFor({ state: 'attached', timeout: 30_000 });
    await expect.poll(() => tab.locator('[data-testid="transcript"] h2').textContent(), { timeout: 20_000 }).toBe('link-0');
    await expect.poll(() => tab.locator('[data-testid="scored-step"][data-message="1"] [data-marked]').count()).toBe(3);
    expect(await tab.getByTestId('setting-beta').inputValue()).toBe('0.5');
    await tab.close();

    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('ignore an invalid or unknown-version hash with a notice, and never break the page', async () => {
    const { page, pageErrors } = await freshBrowser();
    await openAppWithExamples(page, baseUrl);
    const cases: [string, string][] = [
      ['v=2&traj=x', 'version v=2 is unknown to this app (it reads v=1)'],
      ['v=1&beta=-1', 'beta'],
      ['v=1&traj=x&step=2&tokens=5-3', 'the start must be below the end'],
      ['v=1&colour=red', 'unknown key colour'],
      ['traj=x', 'no version (v=1)'],
    ];
    for (const [hash, reason] of cases) {
      await page.evaluate((h) => (location.hash = h), hash);
      await expect.poll(() => page.getByTestId('link-notice').textContent()).toContain(reason);
      expect(await page.getByTestId('link-notice').textContent()).toContain('The link in the address bar was ignored');
      // Settings are untouched by a rejected link.
      expect(await page.getByTestId('setting-beta').inputValue()).toBe('1');
    }
    await page.getByTestId('link-notice').getByRole('button', { name: 'dismiss' }).click();
    expect(await page.getByTestId('transcript').count()).toBe(1);

    // The policy is in force: the page's own listener saw nothing so far, and an injected inline script neither runs nor goes unseen.
    expect(violations).toEqual([]);
    expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').first().getAttribute('content')).toContain("script-src 'self' 'wasm-unsafe-eval'");
    const ran = await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__inlineScriptRan = true';
      document.head.append(script);
      return (window as unknown as { __inlineScriptRan?: boolean }).__inlineScriptRan === true;
    });
    expect(ran).toBe(false);
    // One report per policy in force (the meta tag's, and the preview server's header).
    await expect.poll(() => violations.length).toBeGreaterThan(0);
    for (const violation of violations) expect(violation).toMatch(/^script-src-elem blocked inline/);

    // A snippet link (#snippet=…) is another view's: the view link neither complains about it nor rewrites it.
    await page.evaluate(() => (location.hash = 'snippet=abc'));
    await page.waitForTimeout(500);
    expect(await page.getByTestId('link-notice').count()).toBe(0);
    expect(await page.evaluate(() => location.hash)).toBe('#snippet=abc');
    // Chromium reports the blocked script on the console; that one is expected.
    expect(pageErrors.filter((e) => !e.includes('Content Security Policy'))).toEqual([]);
  });
});
