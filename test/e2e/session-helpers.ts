/** What the session tests read from a page: the saved session's record counts, and the page's session and job states. */
import { expect } from 'vitest';
import type { Page } from 'playwright-core';

export const DATABASE = 'progress-advantage-session';
export const STORES = ['session', 'files', 'trajectories', 'results', 'scoreCache', 'job'] as const;
export type SavedCounts = Record<(typeof STORES)[number], number>;

/** Record counts of the saved session, read straight from IndexedDB (zeros when it has no stores). */
export async function savedCounts(page: Page): Promise<SavedCounts> {
  return page.evaluate(
    ({ name, stores }) =>
      new Promise<SavedCounts>((resolve, reject) => {
        const counts = Object.fromEntries(stores.map((s) => [s, 0])) as SavedCounts;
        const open = indexedDB.open(name);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const names = stores.filter((s) => db.objectStoreNames.contains(s));
          if (names.length === 0) {
            db.close();
            return resolve(counts);
          }
          const tx = db.transaction(names, 'readonly');
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
    { name: DATABASE, stores: [...STORES] },
  );
}

/** Waits until the page has restored its saved session (or started a fresh one) and decided whether it saves. */
export async function sessionReady(page: Page): Promise<void> {
  await page.locator('[data-testid="session-panel"]:not([data-phase="starting"])').waitFor({ state: 'attached', timeout: 60_000 });
}

/** Waits for a fresh page's demo (the pair loaded, the examples scored); returns how many examples it scored. */
export async function waitForFirstVisitDemo(page: Page): Promise<number> {
  await expect.poll(() => page.getByTestId('model-status').textContent(), { timeout: 90_000 }).toBe('ready');
  const progress = page.getByTestId('scoring-progress');
  await expect.poll(async () => (await progress.count()) > 0 && (await progress.getAttribute('data-running')) === 'false', { timeout: 90_000 }).toBe(true);
  const examples = Number(await page.getByTestId('trajectory-count').getAttribute('data-count'));
  expect(Number(await progress.getAttribute('data-done')) + Number(await progress.getAttribute('data-reused'))).toBe(examples);
  return examples;
}

/**
 * Waits until a scoring job has run and ended; returns its counts. An interrupted job's offer is
 * taken when the page makes it (`whileWaiting` sees the page first).
 */
export async function waitForJobEnd(page: Page, timeout = 120_000, whileWaiting?: () => Promise<void>): Promise<{ done: number; total: number; reused: number }> {
  const progress = page.getByTestId('scoring-progress');
  const deadline = Date.now() + timeout;
  for (;;) {
    await whileWaiting?.();
    if ((await page.evaluate(() => document.querySelector('[data-testid="scoring-progress"]')?.getAttribute('data-running'))) === 'false') break;
    const resume = page.locator('[data-testid="resume-scoring"]:enabled');
    if ((await resume.count()) > 0) await resume.click({ timeout: 1000 }).catch(() => undefined);
    if (Date.now() > deadline) throw new Error(`no scoring job ended within ${timeout / 1000} s`);
    await page.waitForTimeout(250);
  }
  return {
    done: Number(await progress.getAttribute('data-done')),
    total: Number(await progress.getAttribute('data-total')),
    reused: Number(await progress.getAttribute('data-reused')),
  };
}
