/**
 * Comparisons end to end in Chromium (issue 18, item 2). The first visit scores the demo episodes
 * with the demo pair (chat rendering); the CLI's `score` writes the same episodes' scores under the
 * chat and the plain rendering. Two trajectories of one task are read from their shared prefix,
 * branches side by side with the page's heatmaps. The two score files are opened and one trajectory's
 * chat and plain scorings compared: the difference heatmap holds exactly the differences computed
 * here from the two files (tokens matched on the characters of each message, independently), and
 * the decisive steps are those `eval` computes from each file. A second rendering scored in the page
 * is found in the score cache and compared with the first.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { parseScoreJsonl, type ScoreRecord } from '../../src/core/scores/format';
import { clearSavedSession, openBrowser, type BrowserSession } from '../../tools/browser';
import { sessionReady, waitForFirstVisitDemo, waitForJobEnd } from './session-helpers';

const baseUrl = inject('baseUrl');
const REPO = resolve(__dirname, '../..');
const EXAMPLES = join(REPO, 'public/examples/demo-episodes.jsonl');
const SCREENSHOTS = join(REPO, 'test-results/screenshots');
const cli = (...args: string[]) => execFileSync(process.execPath, [join(REPO, 'node_modules/tsx/dist/cli.mjs'), join(REPO, 'src/cli/main.ts'), ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] }).toString();

interface Episode {
  id: string;
  task_id: string;
  messages: { role: string; content: string }[];
}
interface EvalReport {
  perTrajectory: { id: string; predicted: Record<string, number | null> }[];
}

let dir: string;
let session: BrowserSession;
const episodes: Episode[] = readFileSync(EXAMPLES, 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Episode);
const files = { chat: '', plain: '' };
const records: Record<'chat' | 'plain', Map<string, ScoreRecord>> = { chat: new Map(), plain: new Map() };
const evals: Record<'chat' | 'plain', EvalReport | null> = { chat: null, plain: null };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pa-compare-'));
  for (const render of ['chat', 'plain'] as const) {
    files[render] = join(dir, `demo-${render}.scores.jsonl`);
    cli('score', '--quiet', '--preset', 'demo', '--render', render, '--out', files[render], EXAMPLES);
    for (const { record } of parseScoreJsonl(readFileSync(files[render], 'utf8'), files[render]).records) records[render].set(record.id, record);
    evals[render] = JSON.parse(cli('eval', '--json', '--beta', '0.5', files[render])) as EvalReport;
  }
  session = await openBrowser();
});

afterAll(async () => {
  await session?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Token pairs of two scorings of one step, computed here from the spec: same characters of the message's text, same text. */
function expectedPairs(content: string, a: string[], b: string[]): [number, number][] {
  if (a.length === b.length && a.every((t, i) => t === b[i])) return a.map((_, i) => [i, i]);
  const at = (tokens: string[]) => tokens.join('').lastIndexOf(content);
  const spans = (tokens: string[], anchor: number) => {
    let offset = -anchor;
    return tokens.map((t) => [offset, (offset += t.length)] as const);
  };
  const spansA = spans(a, at(a));
  const spansB = spans(b, at(b));
  const pairs: [number, number][] = [];
  spansA.forEach(([s, e], i) => {
    if (e <= 0 || s >= content.length || s === e) return;
    const j = spansB.findIndex(([s2, e2]) => s2 === s && e2 === e);
    if (j >= 0 && b[j] === a[i]) pairs.push([i, j]);
  });
  return pairs;
}

function expectedDifferences(id: string, a: ScoreRecord, b: ScoreRecord, beta: number): Map<string, number> {
  const episode = episodes.find((e) => e.id === id)!;
  const out = new Map<string, number>();
  for (const stepA of a.steps) {
    const stepB = b.steps.find((s) => s.message === stepA.message);
    if (!stepB) continue;
    for (const [i, j] of expectedPairs(episode.messages[stepA.message].content, stepA.tokens!, stepB.tokens!)) {
      out.set(`${stepA.message}:${i}:${j}`, beta * (stepA.policy[i] - stepA.reference[i]) - beta * (stepB.policy[j] - stepB.reference[j]));
    }
  }
  return out;
}

async function shownDifferences(page: Page): Promise<Map<string, number>> {
  const shown = await page.$$eval('[data-testid="compare-diff-token"]', (els) =>
    els.map((e) => [`${e.closest('[data-testid="compare-diff"]')!.getAttribute('data-message')}:${e.getAttribute('data-index')}:${e.getAttribute('data-b-index')}`, Number(e.getAttribute('data-difference'))] as const),
  );
  return new Map(shown);
}

async function showTrajectoryOf(page: Page, fileLabel: string, id: string, taskId: string) {
  await page.getByTestId('filter-file').selectOption({ label: fileLabel });
  // The id narrows the list to one row (a task's rows may lie below the list's scrolled view).
  await page.getByTestId('filter-task').fill(taskId);
  await page.getByTestId('filter-search').fill(id);
  await page.locator(`[data-testid="trajectory-row"][data-id="${id}"]`).first().click();
  await expect.poll(() => page.locator('[data-testid="transcript"] h2').textContent()).toBe(id);
}

async function optionValue(page: Page, side: 'a' | 'b', labelStart: string): Promise<string> {
  const options = await page.$$eval(`[data-testid="compare-${side}"] option`, (els) => els.map((e) => [(e as HTMLOptionElement).value, e.textContent ?? ''] as const));
  const found = options.find(([, label]) => label.startsWith(labelStart));
  if (!found) throw new Error(`no scoring "${labelStart}…" among ${JSON.stringify(options)}`);
  return found[0];
}

describe('comparisons', () => {
  it('reads two trajectories of one task from their shared prefix, branches side by side with their heatmaps', async () => {
    const { page } = session;
    await clearSavedSession(page, baseUrl);
    await page.goto(baseUrl);
    await sessionReady(page);
    await waitForFirstVisitDemo(page);
    const beta = Number(await page.getByTestId('setting-beta').inputValue());
    await page.getByTestId('filter-search').fill('broken-lamp-policy-1');
    await page.locator('[data-testid="trajectory-row"][data-id="broken-lamp-policy-1"]').click();
    await page.getByTestId('tab-group').click();
    await page.getByTestId('group-view').waitFor();
    const picks = page.locator('[data-testid="group-compare-pick"]');
    expect(await picks.count()).toBe(episodes.filter((e) => e.task_id === 'broken-lamp').length);
    await picks.nth(0).check();
    await picks.nth(1).check();
    await page.getByTestId('group-compare-open').click();
    const view = page.getByTestId('trajectory-comparison');
    await view.waitFor();
    const cards = page.locator('[data-testid="group-member"], [data-testid="group-chosen"]');
    const idOfKey = new Map<string, string>();
    for (let i = 0; i < (await cards.count()); i++) idOfKey.set((await cards.nth(i).getAttribute('data-key'))!, (await cards.nth(i).getAttribute('data-id'))!);
    const keyA = (await view.getAttribute('data-a'))!;
    const keyB = (await view.getAttribute('data-b'))!;
    const a = episodes.find((e) => e.id === idOfKey.get(keyA))!;
    const b = episodes.find((e) => e.id === idOfKey.get(keyB))!;
    expect(a.id).not.toBe(b.id);
    // The shared prefix, computed here: messages equal in role and text.
    let shared = 0;
    while (shared < Math.min(a.messages.length, b.messages.length) && a.messages[shared].role === b.messages[shared].role && a.messages[shared].content === b.messages[shared].content) shared++;
    expect(Number(await view.getAttribute('data-shared'))).toBe(shared);
    expect(await page.locator('[data-testid="trajectory-compare-shared"] [data-testid="compare-message"]').count()).toBe(shared);
    expect(await page.getByTestId('trajectory-compare-divergence').getAttribute('data-message')).toBe(String(shared));
    const rows = Math.max(a.messages.length, b.messages.length) - shared;
    expect(await page.locator('[data-testid="branch-a"]').count()).toBe(rows);
    expect(await page.locator('[data-testid="branch-b"]').count()).toBe(rows);
    // Each branch's first message is its own (they differ there), with the page's token advantages.
    for (const [side, episode] of [['a', a], ['b', b]] as const) {
      const branch = page.locator(`[data-testid="branch-${side}"]`);
      const texts = await branch.evaluateAll((els) => els.map((e) => e.getAttribute('data-message')));
      expect(texts).toEqual(Array.from({ length: rows }, (_, k) => (shared + k < episode.messages.length ? String(shared + k) : '')));
      const record = records.chat.get(episode.id)!;
      const expected = record.steps.filter((s) => s.message >= shared).flatMap((s) => s.policy.map((p, i) => beta * (p - s.reference[i])));
      const shownTokens = await branch.locator('[data-testid="compare-token"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-advantage'))));
      expect(shownTokens.length).toBe(expected.length);
      // The page's WASM scores against the CLI's onnxruntime-node ones (as in demo-pair.test.ts).
      shownTokens.forEach((x, i) => expect(Math.abs(x - expected[i])).toBeLessThan(1e-4));
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'compare-trajectories.png'), fullPage: true });
    await page.getByTestId('trajectory-compare-close').click();
    await page.getByTestId('tab-trajectory').click();
    await page.getByTestId('filter-search').fill('');
    expect(session.pageErrors).toEqual([]);
  });

  it('compares the chat and the plain scoring of one trajectory: the difference heatmap and decisive steps equal those computed from the score files', async () => {
    const { page } = session;
    await page.getByTestId('file-input').setInputFiles([files.chat, files.plain]);
    await expect.poll(async () => Number(await page.getByTestId('trajectory-count').getAttribute('data-count'))).toBe(3 * episodes.length);
    const beta = Number(await page.getByTestId('setting-beta').inputValue());
    // One trajectory whose decisive steps differ between the renderings, one whose are the same.
    const predicted = (render: 'chat' | 'plain', id: string) => evals[render]!.perTrajectory.find((t) => t.id === id)!.predicted.min_cumulative;
    const differing = episodes.find((e) => predicted('chat', e.id) !== predicted('plain', e.id))!;
    const same = episodes.find((e) => predicted('chat', e.id) === predicted('plain', e.id) && predicted('chat', e.id) !== null)!;
    for (const episode of [differing, same]) {
      await showTrajectoryOf(page, 'demo-chat.scores.jsonl', episode.id, episode.task_id);
      await page.getByTestId('compare-scorings').click();
      await page.getByTestId('scoring-comparison').waitFor();
      await page.getByTestId('compare-a').waitFor();
      expect(await page.getByTestId('compare-a').inputValue()).toBe('current');
      await page.getByTestId('compare-b').selectOption(await optionValue(page, 'b', 'demo-plain.scores.jsonl:'));
      expect(await page.getByTestId('compare-alignment').getAttribute('data-differ')).toBe('true');
      const expected = expectedDifferences(episode.id, records.chat.get(episode.id)!, records.plain.get(episode.id)!, beta);
      expect(expected.size).toBeGreaterThan(0);
      const shown = await shownDifferences(page);
      expect([...shown.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [key, value] of expected) expect(Math.abs(shown.get(key)! - value)).toBeLessThan(1e-6);
      expect(Number(await page.getByTestId('compare-shared').getAttribute('data-count'))).toBe(expected.size);
      const decisive = page.getByTestId('compare-decisive');
      expect(await decisive.getAttribute('data-a')).toBe(String(predicted('chat', episode.id) ?? ''));
      expect(await decisive.getAttribute('data-b')).toBe(String(predicted('plain', episode.id) ?? ''));
      const isSame = predicted('chat', episode.id) === predicted('plain', episode.id);
      expect(await decisive.getAttribute('data-same')).toBe(String(isSame));
      expect(await decisive.textContent()).toBe(
        isSame ? `same decisive step (message ${predicted('chat', episode.id)})` : `A: message ${predicted('chat', episode.id)} · B: message ${predicted('plain', episode.id)}`,
      );
      // Both step series on one chart.
      expect(await page.locator('[data-testid="compare-point-a"]').count()).toBe(records.chat.get(episode.id)!.steps.length);
      expect(await page.locator('[data-testid="compare-point-b"]').count()).toBe(records.plain.get(episode.id)!.steps.length);
      if (episode === differing) await page.screenshot({ path: join(SCREENSHOTS, 'compare-scorings.png'), fullPage: true });
      await page.getByTestId('compare-close').click();
      await page.getByTestId('transcript').waitFor();
    }
    expect(session.pageErrors).toEqual([]);
  });

  it('finds a second rendering scored in the page in the score cache and compares it with the first', async () => {
    const { page } = session;
    const episode = episodes.find((e) => e.task_id === 'broken-mug')!;
    await showTrajectoryOf(page, 'demo-episodes.jsonl', episode.id, episode.task_id);
    await page.getByTestId('render-mode').selectOption('plain');
    await page.getByTestId('score-selected').click();
    await waitForJobEnd(page);
    await expect.poll(() => page.getByTestId('transcript').getAttribute('data-scores-of')).not.toBe('');
    await page.getByTestId('compare-scorings').click();
    await page.getByTestId('compare-a').waitFor();
    // A: the plain scoring now shown; B: the chat one the first visit scored, from the score cache.
    await page.getByTestId('compare-b').selectOption(await optionValue(page, 'b', 'saved: '));
    expect(await page.getByTestId('compare-a').locator('option:checked').textContent()).toMatch(/^shown now: .*plain rendering/);
    expect(await page.getByTestId('compare-b').locator('option:checked').textContent()).toContain('chat rendering');
    const beta = Number(await page.getByTestId('setting-beta').inputValue());
    const expected = expectedDifferences(episode.id, records.plain.get(episode.id)!, records.chat.get(episode.id)!, beta);
    const shown = await shownDifferences(page);
    expect([...shown.keys()].sort()).toEqual([...expected.keys()].sort());
    // The page's WASM scores against the CLI's onnxruntime-node ones.
    for (const [key, value] of expected) expect(Math.abs(shown.get(key)! - value)).toBeLessThan(2e-4);
    await page.getByTestId('render-mode').selectOption('chat');
    expect(session.pageErrors).toEqual([]);
  });
});
