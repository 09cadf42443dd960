/**
 * What a user does in the inspector, end to end: the page's token advantages equal the CLI's
 * `score` output for the same file and models; the page stays responsive while scoring; keyboard
 * navigation; and a 100,000-token trajectory opens in under 2 seconds and scrolls without long tasks.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseTrajectoryText } from '../../src/core/trajectory';
import { renderPlainTexts } from '../../src/core/render';
import { parseScoreJsonl, serializeScoreRecord } from '../../src/core/scores/format';
import { longScoreRecord } from '../../tools/generated';
import { collectShownTokens, describeTasks, loadFolderPair, openAppWithExamples, openBrowser, traceMainThreadTasks, type BrowserSession } from '../../tools/browser';
import { writeRandomPair } from '../../tools/random-pair';

const baseUrl = inject('baseUrl');
const REPO = resolve(__dirname, '../..');
const FILE = 'support.jsonl';

const call = (id: string, name: string, args: Record<string, unknown>) => ({ id, type: 'function', function: { name, arguments: JSON.stringify(args) } });
const records = Array.from({ length: 4 }, (_, i) => ({
  id: `support-${i}`,
  task_id: `task-${i % 2}`,
  reward: i % 2,
  messages: [
    { role: 'system', content: 'You are a support agent. Use the tools.' },
    { role: 'user', content: `Please change seat ${i} on flight ${40 + i}` },
    { role: 'assistant', content: 'Checking the flight.', tool_calls: [call(`c${i}`, 'get_flight', { flight: 40 + i, seat: i })] },
    { role: 'tool', tool_call_id: `c${i}`, content: `{"seats_free": ${i}}` },
    { role: 'assistant', content: i % 2 ? 'Done, your seat is changed.' : 'Sorry, the seat cannot be changed.' },
  ],
}));

let session: BrowserSession;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pa-inspector-'));
  const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
  writeFileSync(join(root, FILE), text);
  writeRandomPair(
    root,
    parseTrajectoryText(FILE, text).trajectories.flatMap((t) => renderPlainTexts(t)),
  );
  session = await openBrowser();
});

afterAll(async () => {
  await session?.close();
  rmSync(root, { recursive: true, force: true });
});

async function loadPairAndFile() {
  const { page } = session;
  await openAppWithExamples(page, baseUrl);
  await loadFolderPair(page, root);
  await page.getByTestId('file-input').setInputFiles(join(root, FILE));
  await page.getByTestId('filter-file').selectOption({ label: FILE });
  await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-visible')).toBe(String(records.length));
}

describe('the inspector', () => {
  it('shows token advantages equal to the CLI score output, and stays responsive while scoring', async () => {
    const { page } = session;
    await loadPairAndFile();
    const trace = await traceMainThreadTasks(page);
    await page.getByTestId('score-all').click();
    const progress = page.getByTestId('scoring-progress');
    const startedAt = Date.now();
    await expect.poll(async () => `${await progress.getAttribute('data-running')}`, { timeout: 120_000 }).toBe('false');
    // Every loaded trajectory was scored (the examples too); the page's own work never blocked it for 200 ms.
    const tasks = await trace.stop();
    console.log(`scoring ${await progress.getAttribute('data-total')} trajectories took ${Date.now() - startedAt} ms; main-thread tasks ≥ 50 ms: ${describeTasks(tasks)}`);
    expect(tasks.length).toBeGreaterThan(0);
    expect(Math.max(...tasks.map((task) => task.cpuMs))).toBeLessThan(200);

    const out = join(root, 'scores.jsonl');
    execFileSync(process.execPath, [join(REPO, 'node_modules/tsx/dist/cli.mjs'), join(REPO, 'src/cli/main.ts'), 'score', '--quiet', '--policy', join(root, 'policy'), '--reference', join(root, 'reference'), '--out', out, join(root, FILE)], {
      cwd: REPO,
    });
    const cli = parseScoreJsonl(readFileSync(out, 'utf8'), out).records.map((r) => r.record);
    expect(cli.map((r) => r.id)).toEqual(records.map((r) => r.id));
    for (const record of cli) {
      await page.locator(`[data-testid="trajectory-row"][data-id="${record.id}"]`).click();
      await expect.poll(() => page.locator('[data-testid="transcript"] h2').textContent()).toBe(record.id);
      const expected = record.steps.flatMap((s) => s.policy.map((p, i) => p - s.reference[i]));
      const shown = (await collectShownTokens(page, expected.length)).map((t) => t.advantage);
      expect(shown.length).toBe(expected.length);
      shown.forEach((a, i) => expect(Math.abs(a - expected[i])).toBeLessThan(1e-4));
    }
    expect(session.pageErrors).toEqual([]);
  });

  it('moves with the keyboard: n/p trajectories, j/k steps, ? help', async () => {
    const { page } = session;
    const selectedId = () => page.locator('[data-testid="trajectory-row"][aria-selected="true"]').getAttribute('data-id');
    await page.locator('[data-testid="trajectory-row"][data-id="support-0"]').click();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('n');
    await expect.poll(selectedId).toBe('support-1');
    await page.keyboard.press('n');
    await expect.poll(selectedId).toBe('support-2');
    await page.keyboard.press('p');
    await expect.poll(selectedId).toBe('support-1');
    // j selects the first action step (message 2), j again the next (message 4), k back.
    const focused = () => page.locator('[data-testid="transcript"] .focused').first().getAttribute('data-message-index');
    await page.keyboard.press('j');
    await expect.poll(focused).toBe('2');
    await page.keyboard.press('j');
    await expect.poll(focused).toBe('4');
    await page.keyboard.press('k');
    await expect.poll(focused).toBe('2');
    await page.keyboard.press('?');
    await expect.poll(() => page.getByTestId('help-dialog').count()).toBe(1);
    expect(await page.getByTestId('help-dialog').textContent()).toContain('KL-optimal');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('help-dialog').count()).toBe(0);
  });

  it('opens a 100,000-token scored trajectory in under 2 seconds and scrolls it without long tasks', async () => {
    const { page } = session;
    // A score file (no model needed): 50 steps of 2,000 tokens, with newlines now and then.
    const big = longScoreRecord(100_000, { id: 'long-run', taskId: 'long' });
    const path = join(root, 'long.jsonl');
    writeFileSync(path, serializeScoreRecord(big) + '\n');
    await page.getByTestId('filter-file').selectOption('all');
    await page.getByTestId('file-input').setInputFiles(path);
    const row = page.locator('[data-testid="trajectory-row"][data-id="long-run"]');
    await page.getByTestId('filter-search').fill('');
    await page.getByTestId('filter-task').fill('long');
    await row.waitFor({ timeout: 30_000 });
    const started = await page.evaluate(() => performance.now());
    await row.click();
    await page.locator('[data-testid="token"]').first().waitFor();
    const firstScreenMs = (await page.evaluate(() => new Promise<number>((done) => requestAnimationFrame(() => done(performance.now()))))) - started;
    console.log(`100,000-token trajectory: first screen in ${Math.round(firstScreenMs)} ms`);
    expect(firstScreenMs).toBeLessThan(2000);
    // Only a screenful of tokens is in the page.
    expect(await page.locator('[data-testid="token"]').count()).toBeLessThan(5000);

    const trace = await traceMainThreadTasks(page);
    const scroller = page.locator('.transcript-scroller');
    for (let i = 0; i < 20; i++) {
      await scroller.evaluate((el) => el.scrollBy(0, 1500));
      await page.waitForTimeout(50);
    }
    await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.waitForTimeout(300);
    const lastToken = await page.locator('[data-testid="token"]').last().getAttribute('data-index');
    expect(Number(lastToken)).toBe(1999);
    const tasks = await trace.stop();
    console.log(`scrolling: main-thread tasks ≥ 50 ms: ${describeTasks(tasks)}`);
    expect(tasks.length).toBeGreaterThan(0);
    expect(tasks.filter((task) => task.cpuMs > 200)).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  });

  it('keeps a token marked elsewhere in view while the transcript shrinks, until the user scrolls', async () => {
    const { page } = session;
    const scroller = page.locator('.transcript-scroller');
    // Whether the marked token shows inside the scroller's box.
    const markedOnScreen = () =>
      scroller.evaluate((element) => {
        const token = element.querySelector('[data-testid="token"][data-marked]');
        if (!token) return false;
        const box = element.getBoundingClientRect();
        const r = token.getBoundingClientRect();
        return r.bottom > box.top && r.top < box.bottom;
      });
    const resize = async (height: number) => {
      await page.setViewportSize({ width: 1280, height });
      await page.waitForTimeout(500);
    };
    try {
      await resize(1400);
      await scroller.evaluate((element) => element.scrollTo(0, 50_000));
      await page.waitForTimeout(300);
      // Mark a token in the lower quarter of the scroller (a click there: on screen, so nothing moves).
      const index = await scroller.evaluate((element) => {
        const box = element.getBoundingClientRect();
        const tokens = [...element.querySelectorAll<HTMLElement>('[data-testid="token"]')];
        const low = tokens.findIndex((t) => t.getBoundingClientRect().top > box.top + 0.75 * box.height && t.getBoundingClientRect().bottom < box.bottom);
        tokens[low].dispatchEvent(new MouseEvent('click', { bubbles: true }));
        return low;
      });
      expect(index).toBeGreaterThanOrEqual(0);
      const scrolledBefore = await scroller.evaluate((element) => element.scrollTop);
      await expect.poll(markedOnScreen).toBe(true);
      expect(await scroller.evaluate((element) => element.scrollTop)).toBe(scrolledBefore);
      // A shorter window moves the scroller's bottom edge above the token: the transcript brings it back.
      await resize(600);
      await expect.poll(markedOnScreen).toBe(true);
      // Once the user scrolls, the window's size no longer moves the transcript.
      await scroller.hover();
      await page.mouse.wheel(0, -3000);
      await expect.poll(markedOnScreen).toBe(false);
      const scrolledTo = await scroller.evaluate((element) => element.scrollTop);
      await resize(560);
      expect(await scroller.evaluate((element) => element.scrollTop)).toBe(scrolledTo);
      expect(await markedOnScreen()).toBe(false);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });
});
