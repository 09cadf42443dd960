/**
 * A first visit, as a user meets it: a fresh profile opens the app and, with no click, the demo
 * pair loads, the demo episodes are scored and the page opens on a trajectory whose predicted
 * decisive step is its labelled mistake, with a hint on what the colours mean and colours fitted to
 * the scores (not near-white). A reload brings the pair back loaded; after "Clear session" the empty
 * page offers the demo again. Then navigation keeps its place: a link scrolls the list to its
 * trajectory, n/p keep the selected row in view, switching opens the transcript at its top, and a
 * filter that hides the selection (or matches nothing) says so.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { openBrowser, type BrowserSession } from '../../tools/browser';
import { advantageColour } from '../../src/ui/heatmap/colour-scale';
import { advantageBucket, STEPS_PER_SIDE } from '../../src/ui/heatmap/token-classes';

const baseUrl = inject('baseUrl');
const REPO = resolve(__dirname, '../..');
const SCREENSHOTS = join(REPO, 'test-results/screenshots');
const episodes = readFileSync(join(REPO, 'public/examples/demo-episodes.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as { id: string; task_id: string; mistake_step?: number });

let session: BrowserSession;

beforeAll(async () => {
  session = await openBrowser();
});

afterAll(async () => {
  await session?.close();
});

/** What the model panel and the scoring bar say, for the log when a wait fails. */
async function pageState(page: Page): Promise<string> {
  return page.evaluate(() =>
    JSON.stringify({
      status: document.querySelector('[data-testid="model-status"]')?.textContent,
      auto: document.querySelector('[data-testid="auto-demo-status"]')?.textContent ?? null,
      error: document.querySelector('[data-testid="model-error"]')?.textContent ?? null,
      progress: document.querySelector('[data-testid="scoring-progress"]')?.textContent ?? null,
      scores: document.querySelectorAll('[data-testid="row-score"]').length,
    }),
  );
}

async function demoShown(page: Page): Promise<void> {
  try {
    await expect.poll(() => page.getByTestId('model-status').textContent(), { timeout: 60_000 }).toBe('ready');
    await expect.poll(() => page.getByTestId('auto-demo-status').count(), { timeout: 90_000, interval: 500 }).toBe(0);
    await expect.poll(() => page.locator('[data-testid="row-score"]').count(), { timeout: 20_000 }).toBeGreaterThan(0);
  } catch (error) {
    throw new Error(`the demo was not shown: ${await pageState(page)}`, { cause: error });
  }
}

async function selectedId(page: Page): Promise<string> {
  return (await page.locator('[data-testid="transcript"] h2').textContent()) ?? '';
}

/** Whether the selected row lies inside the list's visible area. */
async function selectedRowInView(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const list = document.querySelector('[data-testid="trajectory-list"]')!.getBoundingClientRect();
    const row = document.querySelector('[data-testid="trajectory-row"][aria-selected="true"]');
    if (!row) return false;
    const box = row.getBoundingClientRect();
    return box.top >= list.top - 1 && box.bottom <= list.bottom + 1;
  });
}

async function expectInstructive(page: Page): Promise<string> {
  const id = await selectedId(page);
  const episode = episodes.find((e) => e.id === id);
  expect(episode, id).toBeDefined();
  expect(episode!.mistake_step).toBeTypeOf('number');
  await expect.poll(() => page.getByTestId('transcript-decisive').getAttribute('data-message')).toBe(String(episode!.mistake_step));
  return id;
}

describe('a first visit', () => {
  it('shows the demo by itself: pair loaded, episodes scored, an instructive trajectory, readable colours', async () => {
    const { page } = session;
    await page.goto(baseUrl);
    await demoShown(page);
    // Scored by the demo pair, read with its training β.
    expect(await page.getByTestId('setting-beta').inputValue()).toBe('0.5');
    await expectInstructive(page);
    await page.getByTestId('first-visit-hint').waitFor();
    expect(await selectedRowInView(page)).toBe(true);

    // The colour range is fitted to the trajectory's scores, and the most extreme token on screen is clearly coloured.
    const legend = page.getByTestId('heatmap-legend');
    await expect.poll(() => legend.getAttribute('data-fitted')).toBe('true');
    const range = Number(await legend.getAttribute('data-range'));
    expect(range).toBeGreaterThan(0);
    expect(range).toBeLessThan(2);
    await page.locator('[data-testid="token"]').first().waitFor({ state: 'attached', timeout: 20_000 });
    const extreme = await page.$$eval('[data-testid="transcript"] [data-testid="token"]', (els) => {
      let best = { advantage: 0, colour: '' };
      for (const el of els) {
        const a = Number(el.getAttribute('data-advantage'));
        if (Math.abs(a) > Math.abs(best.advantage)) best = { advantage: a, colour: getComputedStyle(el).backgroundColor };
      }
      return best;
    });
    const rgb = extreme.colour.match(/\d+/g)!.map(Number);
    const fromWhite = Math.hypot(255 - rgb[0], 255 - rgb[1], 255 - rgb[2]);
    console.log(`fitted range ±${range}; most extreme token A = ${extreme.advantage} drawn ${extreme.colour} (${fromWhite.toFixed(0)} from white)`);
    expect(fromWhite).toBeGreaterThan(100);
    // The scale's colour for that A at the fitted range (the bucket the token classes draw).
    expect(extreme.colour).toBe(advantageColour(advantageBucket(extreme.advantage, range) / STEPS_PER_SIDE, 1));

    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'first-visit.png') });
    await page.getByTestId('theme-toggle').click();
    await page.screenshot({ path: join(SCREENSHOTS, 'first-visit-dark.png') });
    await page.getByTestId('theme-toggle').click();

    // Dismissed, the hint stays away.
    await page.getByTestId('first-visit-hint-dismiss').click();
    expect(await page.getByTestId('first-visit-hint').count()).toBe(0);
    expect(session.pageErrors).toEqual([]);
  });

  it('brings the pair back loaded after a reload, with no click', async () => {
    const { page } = session;
    await page.waitForTimeout(1000);
    await page.reload();
    await expect.poll(() => page.getByTestId('model-status').textContent(), { timeout: 60_000 }).toBe('ready');
    await expect.poll(() => page.getByTestId('auto-demo-status').count(), { timeout: 40_000 }).toBe(0);
    expect(await page.getByTestId('first-visit-hint').count()).toBe(0);
    await expectInstructive(page);
    expect(session.pageErrors).toEqual([]);
  });
});

describe('navigation keeps its place', () => {
  it('n/p keep the selected row in view; another trajectory opens at its top', async () => {
    const { page } = session;
    const scroller = page.locator('[data-testid="transcript"] .transcript-scroller');
    for (let i = 0; i < 12; i++) {
      const before = await selectedId(page);
      await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await page.locator('body').press('n');
      await expect.poll(() => selectedId(page)).not.toBe(before);
      await expect.poll(() => selectedRowInView(page)).toBe(true);
      await expect.poll(() => scroller.evaluate((el) => el.scrollTop)).toBe(0);
    }
    for (let i = 0; i < 3; i++) {
      await page.locator('body').press('p');
      await expect.poll(() => selectedRowInView(page)).toBe(true);
    }
  });

  it('a link scrolls the list to its trajectory', async () => {
    const { page } = session;
    const target = episodes.at(-2)!;
    await page.goto(`${baseUrl}#v=1&file=demo-episodes.jsonl&traj=${target.id}`);
    await page.reload();
    await expect.poll(() => selectedId(page), { timeout: 30_000 }).toBe(target.id);
    await expect.poll(() => selectedRowInView(page)).toBe(true);
    expect(await page.locator(`[data-testid="trajectory-row"][data-id="${target.id}"]`).getAttribute('aria-selected')).toBe('true');
  });

  it('says when a filter hides the open trajectory or matches nothing, with a way back', async () => {
    const { page } = session;
    const open = episodes.find((e) => e.id === (episodes.at(-2)!.id))!;
    const other = episodes.find((e) => e.task_id !== open.task_id)!;
    await page.getByTestId('filter-task').fill(other.task_id);
    const notice = page.getByTestId('list-filter-notice');
    await expect.poll(() => notice.getAttribute('data-kind')).toBe('selection-hidden');
    expect(await notice.textContent()).toContain(open.id);
    // The matches show from the first (not wherever the longer list's scroll position lands).
    await expect.poll(() => page.getByTestId('trajectory-list').evaluate((el) => el.scrollTop)).toBe(0);
    expect(await page.locator('[data-testid="trajectory-row"]').first().getAttribute('data-id')).toBe(episodes.find((e) => e.task_id === other.task_id)!.id);
    await page.getByTestId('list-clear-filters').click();
    expect(await notice.count()).toBe(0);
    expect(await page.getByTestId('filter-task').inputValue()).toBe('');
    await expect.poll(() => selectedRowInView(page)).toBe(true);

    // A filter that matches nothing says so, also when a reload restores it.
    await page.getByTestId('filter-search').fill('no trajectory says this');
    await expect.poll(() => notice.getAttribute('data-kind')).toBe('none-match');
    await page.waitForTimeout(1000);
    await page.reload();
    await expect.poll(() => page.getByTestId('list-filter-notice').getAttribute('data-kind'), { timeout: 30_000 }).toBe('none-match');
    await page.getByTestId('list-clear-filters').click();
    await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-visible')).toBe(String(episodes.length));
    expect(session.pageErrors).toEqual([]);
  });
});

describe('after clearing the session', () => {
  it('offers the demo on the empty page, and the offer brings it back', async () => {
    const { page } = session;
    await page.getByTestId('clear-session').click();
    await page.getByTestId('clear-session-confirm').click();
    await expect.poll(() => page.getByTestId('file-item').count()).toBe(0);
    const offer = page.getByTestId('open-demo');
    await offer.waitFor();
    await offer.click();
    await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-count'), { timeout: 30_000 }).toBe(String(episodes.length));
    await demoShown(page);
    await expect.poll(() => page.locator('[data-testid="row-score"]').count()).toBeGreaterThan(0);
    await expectInstructive(page);
    expect(session.pageErrors).toEqual([]);
  });
});
