/**
 * Two tabs on one browser profile (issue 14, item 2), in the production build: one tab keeps the
 * session and the other says so, saves nothing and offers to take over; taking over brings the
 * taker's own files along and the first tab is told; "Clear session" belongs to the keeping tab;
 * after both tabs close, the next visit finds every file the last keeping tab showed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openAppWithExamples, openBrowser, type BrowserSession } from '../../tools/browser';
import { savedCounts, sessionReady, waitForFirstVisitDemo } from './session-helpers';

const baseUrl = inject('baseUrl');
let root: string;
let session: BrowserSession | undefined;

const chat = (id: string) => ({ id, messages: [{ role: 'user', content: `question ${id}` }, { role: 'assistant', content: `answer ${id}` }] });
const FILES = { 'tab-a.jsonl': 3, 'tab-b.jsonl': 2, 'tab-c.jsonl': 4 } as const;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pa-tabs-'));
  for (const [name, count] of Object.entries(FILES)) {
    writeFileSync(join(root, name), Array.from({ length: count }, (_, i) => JSON.stringify(chat(`${name}-${i}`))).join('\n') + '\n');
  }
});

afterEach(async () => {
  await session?.close();
  session = undefined;
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const fileNames = (page: Page) => page.locator('[data-testid="file-item"] .file-name').allTextContents();
const phaseOf = (page: Page) => page.getByTestId('session-panel').getAttribute('data-phase');

async function openFile(page: Page, name: keyof typeof FILES): Promise<void> {
  const before = Number(await page.getByTestId('trajectory-count').getAttribute('data-count'));
  await page.getByTestId('file-input').setInputFiles(join(root, name));
  await expect.poll(async () => Number(await page.getByTestId('trajectory-count').getAttribute('data-count')), { timeout: 30_000 }).toBe(before + FILES[name]);
}

/** The saved files' names, read from IndexedDB. */
async function savedFileNames(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open('progress-advantage-session');
        open.onsuccess = () => {
          const request = open.result.transaction('files', 'readonly').objectStore('files').getAll();
          request.onsuccess = () => {
            open.result.close();
            resolve((request.result as { name: string }[]).map((f) => f.name).sort());
          };
          request.onerror = () => reject(request.error);
        };
        open.onerror = () => reject(open.error);
      }),
  );
}

describe('two tabs on one profile', () => {
  it('one keeps the session, the other says so and can take over; no file is lost, and only the keeping tab clears', async () => {
    session = await openBrowser();
    const { context, pageErrors } = session;
    const a = session.page;
    await openAppWithExamples(a, baseUrl);
    await sessionReady(a);
    expect(await phaseOf(a)).toBe('saving');
    const examples = await waitForFirstVisitDemo(a);
    const exampleNames = await fileNames(a);
    await expect.poll(async () => (await savedCounts(a)).results, { timeout: 30_000 }).toBe(examples);

    // A second tab: it shows the saved session, says another tab keeps it, and may not clear it.
    const b = await context.newPage();
    b.on('pageerror', (e) => pageErrors.push(`tab B pageerror: ${e.message}`));
    await b.goto(baseUrl);
    await sessionReady(b);
    expect(await phaseOf(b)).toBe('another-tab');
    const notice = b.getByTestId('another-tab');
    expect(await notice.getAttribute('data-why')).toBe('had-it');
    expect(await notice.textContent()).toContain('This session is open in another tab, which keeps it: what you do here is not saved.');
    expect(await b.getByTestId('clear-session').isDisabled()).toBe(true);
    expect(await fileNames(b)).toEqual(exampleNames);

    // Each tab opens a file: the keeping tab's is saved, the other's is not (and that tab said so).
    await openFile(a, 'tab-a.jsonl');
    await openFile(b, 'tab-b.jsonl');
    await expect.poll(() => savedFileNames(a), { timeout: 20_000 }).toEqual([...exampleNames, 'tab-a.jsonl'].sort());
    await b.waitForTimeout(3000);
    expect(await savedFileNames(b)).toEqual([...exampleNames, 'tab-a.jsonl'].sort());

    // B takes over: A saves and lets go and is told; B shows the saved session with its own file added.
    await b.getByTestId('take-over').click();
    await expect.poll(() => phaseOf(b), { timeout: 30_000 }).toBe('saving');
    expect(await b.getByTestId('take-over-notice').textContent()).toContain(
      `This tab keeps the session now: it shows the session as the other tab saved it (${exampleNames.length + 1} files). Added from this tab: 1 file, 0 scores.`,
    );
    expect((await fileNames(b)).sort()).toEqual([...exampleNames, 'tab-a.jsonl', 'tab-b.jsonl'].sort());
    await expect.poll(() => phaseOf(a)).toBe('another-tab');
    expect(await a.getByTestId('another-tab').getAttribute('data-why')).toBe('took-it');
    expect(await a.getByTestId('another-tab').textContent()).toContain('Another tab took this session over: what you do here is no longer saved.');
    await expect.poll(() => savedFileNames(b), { timeout: 20_000 }).toEqual([...exampleNames, 'tab-a.jsonl', 'tab-b.jsonl'].sort());
    const trajectories = examples + FILES['tab-a.jsonl'] + FILES['tab-b.jsonl'];
    await expect.poll(async () => (await savedCounts(b)).trajectories, { timeout: 20_000 }).toBe(trajectories);

    // A, no longer keeping it, opens a file and takes the session back: nothing of B's is lost.
    await openFile(a, 'tab-c.jsonl');
    await b.waitForTimeout(2000);
    expect(await savedFileNames(a)).not.toContain('tab-c.jsonl');
    await a.getByTestId('take-over').click();
    await expect.poll(() => phaseOf(a), { timeout: 30_000 }).toBe('saving');
    const all = [...exampleNames, 'tab-a.jsonl', 'tab-b.jsonl', 'tab-c.jsonl'].sort();
    expect((await fileNames(a)).sort()).toEqual(all);
    await expect.poll(() => savedFileNames(a), { timeout: 20_000 }).toEqual(all);
    await expect.poll(() => phaseOf(b)).toBe('another-tab');

    // Clear session: not in B (it does not keep the session); in A it empties both the page and the saved session.
    expect(await b.getByTestId('clear-session').isDisabled()).toBe(true);
    await a.getByTestId('clear-session').click();
    await a.getByTestId('clear-session-confirm').click();
    await expect.poll(() => a.getByTestId('file-item').count()).toBe(0);
    await expect.poll(async () => savedCounts(a), { timeout: 20_000 }).toMatchObject({ files: 0, trajectories: 0, results: 0 });
    // B takes over the cleared session: it shows what A showed (nothing), not its stale files.
    await b.getByTestId('take-over').click();
    await expect.poll(() => phaseOf(b), { timeout: 30_000 }).toBe('saving');
    expect(await b.getByTestId('file-item').count()).toBe(0);
    await openFile(b, 'tab-b.jsonl');
    await expect.poll(() => savedFileNames(b), { timeout: 20_000 }).toEqual(['tab-b.jsonl']);

    // Both tabs close; the next visit finds what the last keeping tab showed.
    await a.close();
    await b.close();
    const next = await context.newPage();
    await next.goto(baseUrl);
    await sessionReady(next);
    expect(await phaseOf(next)).toBe('saving');
    expect(await fileNames(next)).toEqual(['tab-b.jsonl']);
    expect(pageErrors).toEqual([]);
  });
});
