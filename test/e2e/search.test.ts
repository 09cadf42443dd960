/**
 * Search that knows the signal, end to end in Chromium (issue 18, item 3), on the demo's scored
 * examples: a figure search ("A < t", "logp_policy < x and entropy > y") lists exactly the tokens an
 * independent filter of the exported scores (the listed trajectories' bundle) finds; Enter /
 * Shift+Enter and n / N step through the hits, each marked in the transcript; a bad query gets its
 * exact error; text search counts what an independent scan of the same trajectories counts; the
 * minimap marks the strongest tokens and jumps to them.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { clearSavedSession, openBrowser, type BrowserSession } from '../../tools/browser';
import { sessionReady, waitForFirstVisitDemo } from './session-helpers';
import { encodeBundle } from '../../src/core/bundle';
import { payloadBundle, payloadScore, payloadTrajectory } from '../unit/core/bundle/fixtures';

const baseUrl = inject('baseUrl');
const SCREENSHOTS = resolve(__dirname, '../../test-results/screenshots');

interface Step {
  message: number;
  policy: (number | null)[];
  reference: (number | null)[];
  entropy?: (number | null)[];
}
interface Entry {
  trajectory: { id: string; messages: { role: string; content: string; toolCalls?: { name: string; arguments: Record<string, unknown>; rawArguments?: string }[] }[] };
  score: { record: { steps: Step[] }; stepLevelOnly: boolean } | null;
}

let root: string;
let session: BrowserSession;
let entries: Entry[] = [];
let beta = 1;

/** Every scored token of the bundle with its figures, computed here from the exported log-probs. */
function tokensOfBundle() {
  const out: { id: string; message: number; index: number; A: number; policy: number; reference: number; entropy: number | null }[] = [];
  for (const e of entries) {
    if (!e.score || e.score.stepLevelOnly) continue;
    for (const step of e.score.record.steps) {
      step.policy.forEach((p, i) => {
        const policy = p ?? Number.NEGATIVE_INFINITY;
        const reference = step.reference[i] ?? Number.NEGATIVE_INFINITY;
        out.push({ id: e.trajectory.id, message: step.message, index: i, A: beta * (policy - reference), policy, reference, entropy: step.entropy?.[i] ?? null });
      });
    }
  }
  return out;
}

/** A threshold strictly between two neighbouring values, so that no token sits on it: the `n`th smallest is the last one below. */
function thresholdBelow(values: number[], n: number): number {
  const sorted = [...new Set(values.filter(Number.isFinite))].sort((a, b) => a - b);
  const k = Math.min(n, sorted.length - 1);
  return (sorted[k - 1] + sorted[k]) / 2;
}

async function searchFor(page: Page, mode: 'text' | 'tokens', query: string) {
  await page.getByTestId('search-mode').selectOption(mode);
  await page.getByTestId('search-input').fill(query);
}

async function listedHits(page: Page) {
  await page.getByTestId('search-summary').waitFor();
  return page.$$eval('[data-testid="search-hit"]', (els) => els.map((e) => `${e.getAttribute('data-trajectory')}|${e.getAttribute('data-message')}|${e.getAttribute('data-index')}`));
}

async function markedToken(page: Page) {
  return page.evaluate(() => {
    const token = document.querySelector('[data-testid="transcript"] [data-testid="token"][data-marked]');
    return token ? `${document.querySelector('[data-testid="transcript"] h2')?.textContent}|${token.closest('[data-testid="scored-step"]')?.getAttribute('data-message')}|${token.getAttribute('data-index')}` : null;
  });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pa-search-'));
  session = await openBrowser();
});

afterAll(async () => {
  await session?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('search that knows the signal', () => {
  it('exports the scored examples for an independent check', async () => {
    const { page } = session;
    await clearSavedSession(page, baseUrl);
    await page.goto(baseUrl);
    await sessionReady(page);
    await waitForFirstVisitDemo(page);
    await page.locator('[data-testid="trajectory-row"]').first().click();
    await page.getByTestId('search-panel').waitFor();
    await page.getByTestId('share-menu-button').click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-bundle-visible').click()]);
    const path = join(root, 'listed.pa-bundle.json.gz');
    await download.saveAs(path);
    await page.keyboard.press('Escape');
    const bundle = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as { entries: Entry[]; settings: { evaluation: { beta: number } } };
    entries = bundle.entries;
    beta = bundle.settings.evaluation.beta;
    expect(tokensOfBundle().length).toBeGreaterThan(100);
  });

  it('a figure search finds exactly the tokens an independent filter of the exported scores finds', async () => {
    const { page } = session;
    const tokens = tokensOfBundle();
    const key = (t: { id: string; message: number; index: number }) => `${t.id}|${t.message}|${t.index}`;
    const t = thresholdBelow(tokens.map((x) => x.A), 25);
    const expectedA = tokens.filter((x) => x.A < t).map(key);
    expect(expectedA.length).toBeGreaterThanOrEqual(10);
    await searchFor(page, 'tokens', `A < ${t}`);
    await expect.poll(() => page.getByTestId('search-summary').getAttribute('data-total')).toBe(String(expectedA.length));
    expect(await listedHits(page)).toEqual(expectedA);

    const withEntropy = tokens.filter((x) => x.entropy !== null);
    expect(withEntropy.length).toBeGreaterThan(0);
    const x = thresholdBelow(withEntropy.map((w) => w.policy), Math.floor(withEntropy.length / 2));
    const y = thresholdBelow(withEntropy.map((w) => w.entropy!), Math.floor(withEntropy.length / 3));
    const expectedBoth = tokens.filter((w) => w.policy < x && w.entropy !== null && w.entropy > y).map(key);
    expect(expectedBoth.length).toBeGreaterThan(0);
    await searchFor(page, 'tokens', `logp_policy < ${x} and entropy > ${y}`);
    await expect.poll(() => page.getByTestId('search-summary').getAttribute('data-total')).toBe(String(expectedBoth.length));
    expect(await listedHits(page)).toEqual(expectedBoth);

    // Enter / Shift+Enter in the box, n / N in the list: each hit is shown, its token marked in the transcript.
    const hits = await listedHits(page);
    await page.getByTestId('search-input').press('Enter');
    await expect.poll(() => markedToken(page)).toBe(hits[0]);
    await page.getByTestId('search-input').press('Enter');
    await expect.poll(() => markedToken(page)).toBe(hits[1 % hits.length]);
    await page.getByTestId('search-input').press('Shift+Enter');
    await expect.poll(() => markedToken(page)).toBe(hits[0]);
    await page.getByTestId('search-hits').focus();
    await page.keyboard.press('n');
    await expect.poll(() => markedToken(page)).toBe(hits[1 % hits.length]);
    await page.keyboard.press('Shift+N');
    await expect.poll(() => markedToken(page)).toBe(hits[0]);
    await page.keyboard.press('Shift+N');
    await expect.poll(() => markedToken(page)).toBe(hits[hits.length - 1]);
    expect(await page.getByTestId('search-summary').getAttribute('data-at')).toBe(String(hits.length - 1));
    await page.screenshot({ path: join(SCREENSHOTS, 'search-tokens.png') });
  });

  it('refuses a bad query with its exact error', async () => {
    const { page } = session;
    await searchFor(page, 'tokens', 'A < -1 and entropyy > 3');
    await expect.poll(() => page.getByTestId('search-error').textContent()).toBe('unknown field "entropyy" at 11: fields are A, logp_policy, logp_reference, entropy');
    expect(await page.getByTestId('search-hit').count()).toBe(0);
  });

  it('finds text in messages, tool calls and tool results as an independent scan counts it', async () => {
    const { page } = session;
    const count = (haystack: string, needle: string) => {
      let n = 0;
      for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length)) n++;
      return n;
    };
    const needle = 'Refund';
    let expected = 0;
    for (const e of entries) {
      for (const m of e.trajectory.messages) {
        expected += count(m.content.toLowerCase(), needle.toLowerCase());
        for (const call of m.toolCalls ?? []) {
          const args = call.rawArguments !== undefined && Object.keys(call.arguments).length === 0 ? call.rawArguments : JSON.stringify(call.arguments);
          expected += count(`${call.name}(${args})`.toLowerCase(), needle.toLowerCase());
        }
      }
    }
    expect(expected).toBeGreaterThan(0);
    await searchFor(page, 'text', needle);
    await expect.poll(() => page.getByTestId('search-summary').getAttribute('data-total')).toBe(String(expected));
    const first = page.getByTestId('search-hit').first();
    expect((await first.locator('mark').textContent())!.toLowerCase()).toBe('refund');
    await first.getByTestId('search-hit-go').click();
    await expect.poll(() => page.locator('[data-testid="transcript"] h2').textContent()).toBe(await first.getAttribute('data-trajectory'));
  });

  it('marks the strongest tokens beside a long transcript and jumps to them', async () => {
    const { page } = session;
    await searchFor(page, 'text', '');
    // A long scored trajectory with known figures, opened from a bundle.
    const id = 'long-run';
    const random = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const next = random(7);
    const stepOf = (message: number) => {
      const n = 150;
      return { message, policy: Array.from({ length: n }, () => -6 * next()), reference: Array.from({ length: n }, () => -6 * next()), tokens: Array.from({ length: n }, (_, i) => `w${i} `) };
    };
    const steps = [stepOf(2), stepOf(4)];
    const trajectory = { ...payloadTrajectory(id), taskId: 'long', labels: { reward: 0, success: false } };
    const bundle = payloadBundle();
    bundle.selected = 0;
    bundle.entries = [{ fileName: 'long.jsonl', trajectory, score: payloadScore({ id, steps }) }];
    const path = join(root, 'long.pa-bundle.json.gz');
    writeFileSync(path, encodeBundle(bundle));
    await page.getByTestId('share-menu-button').click();
    await page.getByTestId('open-bundle-input').setInputFiles(path);
    await page.keyboard.press('Escape');
    await page.locator(`[data-testid="trajectory-row"][data-id="${id}"]`).click();
    await expect.poll(() => page.locator('[data-testid="transcript"] h2').textContent()).toBe(id);
    const marks = page.locator('[data-testid="minimap-mark"][data-sign="negative"]');
    await marks.first().waitFor();
    const b = bundle.settings.evaluation.beta;
    const all = steps.flatMap((step) => step.policy.map((p, index) => ({ message: step.message, index, A: b * (p - step.reference[index]) })));
    const negative = all.filter((t) => t.A < 0).sort((x, y) => x.A - y.A).slice(0, 10);
    const positive = all.filter((t) => t.A > 0).sort((x, y) => y.A - x.A).slice(0, 10);
    const shown = (sign: string) => page.locator(`[data-testid="minimap-mark"][data-sign="${sign}"]`).evaluateAll((els) => els.map((e) => `${e.getAttribute('data-message')}|${e.getAttribute('data-index')}|${e.getAttribute('data-advantage')}`));
    expect(await shown('negative')).toEqual(negative.map((t) => `${t.message}|${t.index}|${t.A}`));
    expect(await shown('positive')).toEqual(positive.map((t) => `${t.message}|${t.index}|${t.A}`));
    await marks.first().click();
    await expect.poll(() => markedToken(page)).toBe(`${id}|${negative[0].message}|${negative[0].index}`);
    await page.screenshot({ path: join(SCREENSHOTS, 'search-minimap.png') });
    await page.locator('[data-testid="minimap-mark"][data-sign="positive"]').first().click();
    await expect.poll(() => markedToken(page)).toBe(`${id}|${positive[0].message}|${positive[0].index}`);
    expect(session.pageErrors).toEqual([]);
  });
});
