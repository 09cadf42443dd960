/**
 * Readable transcripts on real files (τ²-bench, Who&When, SWE-agent): tool calls open with indented
 * arguments, the header's facts from the file, list rows a person recognises, plain-mode scores
 * shown on the message's own text; scoring problems summarised by cause with a working action;
 * labels that follow the method; a refused setting; nothing clipped; "1 step". Screenshots of a
 * τ²-bench trajectory scored in plain mode, light and dark, go to test-results/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseTrajectoryText } from '../../src/core/trajectory';
import { renderPlainTexts } from '../../src/core/render';
import { openAppWithExamples, openBrowser, type BrowserSession, loadFolderPair } from '../../tools/browser';
import { writeRandomPair } from '../../tools/random-pair';

const baseUrl = inject('baseUrl');
const REPO = resolve(__dirname, '../..');
const FIXTURES = resolve(REPO, '../shared/fixtures/trajectories');
const SCREENSHOTS = join(REPO, 'test-results/screenshots');
const TAU2 = join(FIXTURES, 'tau2_bench/airline_grok-3_4tasks_x4trials.json');
const WHO_AND_WHEN = join(FIXTURES, 'who_and_when/Hand-Crafted/1.json');
const SWE = join(FIXTURES, 'swe_agent/marshmallow-code__marshmallow-1867.function_calling.traj');
const ONE_STEP_FILE = 'one-step.json';
const ONE_STEP = { messages: [{ role: 'user', content: 'Where is my bag?' }, { role: 'assistant', content: 'It is on the next flight to Lisbon.' }] };
const CONTEXT = 1024;
// Words outside the random pair's vocabulary: under the chat template no message's text can be found in its span.
const UNKNOWN_WORDS_FILE = 'unknown-words.json';
const UNKNOWN_WORDS = { conversations: [{ from: 'human', value: 'Qwzx vbnmy plokij?' }, { from: 'gpt', value: 'Zzyzx quuxly frobnicated.' }] };

let session: BrowserSession;
let root: string;
const tau2 = JSON.parse(readFileSync(TAU2, 'utf8'));
const ww = JSON.parse(readFileSync(WHO_AND_WHEN, 'utf8'));
// The first simulation whose agent calls tools.
const WITH_CALLS = tau2.simulations.find((s: { messages: { tool_calls?: unknown[] | null }[] }) => s.messages.some((m) => (m.tool_calls ?? []).length > 0));

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pa-readable-'));
  writeFileSync(join(root, ONE_STEP_FILE), JSON.stringify(ONE_STEP));
  writeFileSync(join(root, UNKNOWN_WORDS_FILE), JSON.stringify(UNKNOWN_WORDS));
  const texts = [TAU2, WHO_AND_WHEN, SWE].flatMap((file) => parseTrajectoryText(file, readFileSync(file, 'utf8')).trajectories.flatMap((t) => renderPlainTexts(t)));
  texts.push(...parseTrajectoryText(ONE_STEP_FILE, JSON.stringify(ONE_STEP)).trajectories.flatMap((t) => renderPlainTexts(t)));
  writeRandomPair(root, texts, CONTEXT);
  mkdirSync(SCREENSHOTS, { recursive: true });
  session = await openBrowser();
});

afterAll(async () => {
  await session?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

const row = (id: string) => session.page.locator(`[data-testid="trajectory-row"][data-id="${id}"]`);
const fact = (key: string) => session.page.locator(`[data-testid="trajectory-fact"][data-fact="${key}"]`);

async function waitForJob(count: number): Promise<void> {
  const progress = session.page.getByTestId('scoring-progress');
  await expect.poll(async () => `${await progress.getAttribute('data-running')} ${await progress.getAttribute('data-total')}`, { timeout: 120_000 }).toBe(`false ${count}`);
}

describe('readable transcripts', () => {
  it('summarises chat-mode failures by cause, and re-scores those in plain mode', async () => {
    const { page } = session;
    await openAppWithExamples(page, baseUrl);
    const closeButtons = page.locator('button[aria-label^="Close "]');
    while ((await closeButtons.count()) > 0) await closeButtons.first().click();
    await loadFolderPair(page, root);
    await page.getByTestId('file-input').setInputFiles([join(root, ONE_STEP_FILE), join(root, UNKNOWN_WORDS_FILE), WHO_AND_WHEN]);
    await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-count'), { timeout: 20_000 }).toBe('3');
    // "1 step", not "1 steps".
    const oneStep = page.locator('[data-testid="trajectory-row"][data-format="openai-chat"]');
    expect(await oneStep.textContent()).toMatch(/1 step(?!s)/);

    await page.getByTestId('render-mode').selectOption('chat');
    await page.getByTestId('score-all').click();
    await waitForJob(3);
    // The whole conversation is rendered once and its messages located: the Who&When log renders (and runs past
    // the context); the file of unknown words does not (its words are not in the spans the prefixes give).
    const chatCauses = await page.getByTestId('scoring-problem').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-cause')} ${e.getAttribute('data-count')}`));
    expect(chatCauses).toEqual(['messages-not-located 1', 'context-limit 1']);
    const problem = page.getByTestId('scoring-problem').first();
    expect(await problem.getAttribute('data-cause')).toBe('messages-not-located');
    expect(await problem.getAttribute('data-count')).toBe('1');
    expect(await problem.textContent()).toContain('1 could not be split into messages under the chat template — score them in plain mode');
    // The per-trajectory list is behind a disclosure, each named by file and id.
    expect(await page.locator('.scoring-problem-list').first().getAttribute('open')).toBeNull();
    expect(await page.getByTestId('scoring-error').allTextContents()).toEqual([expect.stringMatching(/^unknown-words\.json · \S+: the chat template's rendering could not be split into messages/)]);

    await page.getByTestId('score-plain').click();
    await waitForJob(1);
    // All are scored now; the long Who&When log runs past the pair's context: one line says so.
    await expect.poll(() => page.getByTestId('row-score').count(), { timeout: 30_000 }).toBe(3);
    const causes = await page.getByTestId('scoring-problem').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-cause')} ${e.getAttribute('data-count')}`));
    expect(causes).toEqual(['context-limit 1']);
    expect(await page.getByTestId('scoring-problem').textContent()).toContain(`1 exceeds the pair's ${CONTEXT}-token context`);
  });

  it("shows Who&When's question and mistake reason, and the first user words in the list", async () => {
    const { page } = session;
    await row(ww.question_ID).click();
    await expect.poll(() => fact('question').textContent()).toBe(ww.question);
    expect(await fact('mistake-reason').textContent()).toBe(ww.mistake_reason);
    expect(await row(ww.question_ID).getByTestId('row-summary').textContent()).toContain(ww.question.slice(0, 40));
  });

  it('labels follow the method; β = 0 is refused with the schema message and the old value stays', async () => {
    const { page } = session;
    await page.locator('[data-testid="trajectory-row"][data-format="openai-chat"]').click();
    await expect.poll(() => page.getByTestId('curve-axis-label').textContent()).toBe('advantage');
    await page.getByTestId('setting-method').selectOption('policy-logprob');
    await expect.poll(() => page.getByTestId('curve-axis-label').textContent()).toBe('log π_θ');
    expect(await page.getByTestId('heatmap-legend-method').textContent()).toContain('step scores: policy log-prob');
    expect(await page.getByTestId('curve-method').textContent()).toContain('policy log-prob');
    await page.getByTestId('setting-method').selectOption('progress');
    await expect.poll(() => page.getByTestId('curve-axis-label').textContent()).toBe('advantage');

    const advantageBefore = await page.locator('[data-testid="token"]').first().getAttribute('data-advantage');
    await page.getByTestId('setting-beta').fill('0');
    const error = page.getByTestId('setting-error-beta');
    await expect.poll(() => error.isVisible()).toBe(true);
    expect(await error.textContent()).toMatch(/expected number to be >0 — still 1/);
    expect(await page.getByTestId('setting-beta').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('[data-testid="token"]').first().getAttribute('data-advantage')).toBe(advantageBefore);
    await page.getByTestId('setting-beta').fill('1');
    await expect.poll(() => error.count()).toBe(0);
  });

  it('shows SWE-agent exit status and τ²-bench reward breakdown, tool calls open with indented arguments', async () => {
    const { page } = session;
    await page.getByTestId('file-input').setInputFiles([TAU2, SWE]);
    await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-count'), { timeout: 20_000 }).toBe(String(3 + tau2.simulations.length + 1));
    await page.getByTestId('filter-file').selectOption({ label: 'marshmallow-code__marshmallow-1867.function_calling.traj' });
    await page.locator('[data-testid="trajectory-row"][data-format="swe-agent"]').click();
    await expect.poll(() => fact('exit-status').textContent()).toBe('submitted');

    const sim = tau2.simulations[0];
    const task = tau2.tasks.find((t: { id: string }) => t.id === sim.task_id);
    await page.getByTestId('filter-file').selectOption({ label: 'airline_grok-3_4tasks_x4trials.json' });
    expect(await row(sim.id).getByTestId('row-summary').textContent()).toContain(task.description.purpose.slice(0, 30));
    await row(sim.id).click();
    await expect.poll(() => fact('reward-breakdown').textContent()).toBe('DB 0 · COMMUNICATE 1');
    expect(await fact('db-match').textContent()).toBe('no');
    expect(await fact('action-checks').textContent()).toBe('0 of 1 done: book_reservation ✗');
    // A simulation with tool calls: they are open, their arguments indented.
    await row(WITH_CALLS.id).click();
    await expect.poll(() => page.locator('[data-testid="transcript"] h2').textContent()).toBe(WITH_CALLS.id);
    // The transcript is virtualized: scroll to the first tool call.
    const scroller = page.locator('[data-testid="transcript"] .transcript-scroller');
    for (let i = 0; i < 40 && (await page.getByTestId('tool-call').count()) === 0; i++) await scroller.evaluate((el) => el.scrollBy(0, 400));
    const call = page.getByTestId('tool-call').first();
    await call.waitFor();
    expect(await call.getAttribute('open')).not.toBeNull();
    expect(await call.getByTestId('tool-call-args').textContent()).toMatch(/^\{\n {2}"/);
  });

  it('shows a plain-mode scored message as its own text, the role prefix marked', async () => {
    const { page } = session;
    const sim = WITH_CALLS;
    await page.locator('[data-testid="transcript"] .transcript-scroller').evaluate((el) => el.scrollTo(0, 0));
    await page.getByTestId('render-mode').selectOption('plain');
    await page.getByTestId('score-selected').click();
    await expect.poll(() => page.getByTestId('transcript').getAttribute('data-scores-of'), { timeout: 60_000 }).not.toBe('');
    const firstAssistant = sim.messages.findIndex((m: { role: string }) => m.role === 'assistant');
    const step = page.locator(`[data-testid="scored-step"][data-message="${firstAssistant}"]`).first();
    await step.waitFor({ timeout: 20_000 });
    const text = (await step.textContent()) ?? '';
    expect(text).not.toContain('<unk>');
    const prefix = await step.locator('.role-prefix').allTextContents();
    expect(prefix.join('')).toBe('[assistant]: ');
    expect(text.slice('[assistant]: '.length)).toBe(String(sim.messages[firstAssistant].content).trim());
    // The tooltip still names the token as the model saw it.
    await step.locator('[data-testid="token"]').nth(3).hover();
    await page.getByTestId('token-tooltip').waitFor();

    await page.mouse.move(0, 0);
    await page.setViewportSize({ width: 1280, height: 1500 });
    await page.screenshot({ path: join(SCREENSHOTS, 'readable-tau2-plain-light.png') });
    await page.getByTestId('theme-toggle').click();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.screenshot({ path: join(SCREENSHOTS, 'readable-tau2-plain-dark.png') });
    await page.getByTestId('theme-toggle').click();
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('clips nothing: the pair select lies within the side panel; labels sit on their values’ line', async () => {
    const { page } = session;
    const select = await page.getByTestId('model-source').boundingBox();
    const sidebar = await page.locator('.sidebar').boundingBox();
    expect(select && sidebar).toBeTruthy();
    expect(select!.x).toBeGreaterThanOrEqual(sidebar!.x);
    expect(select!.x + select!.width).toBeLessThanOrEqual(sidebar!.x + sidebar!.width);
    // No visible element of the side panel reaches past its right edge (under the main pane).
    const overflowing = await page.locator('.sidebar').evaluate((bar) => {
      const right = bar.getBoundingClientRect().right;
      return [...bar.querySelectorAll<HTMLElement>('*')]
        .filter((el) => el.getClientRects().length > 0 && el.getBoundingClientRect().right > right + 1 && getComputedStyle(el).visibility !== 'hidden')
        .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
    });
    expect(overflowing).toEqual([]);
    const misplaced = await page.locator('.facts .fact').evaluateAll((facts) =>
      facts.filter((f) => {
        const dt = f.querySelector('dt')!.getBoundingClientRect();
        const dd = f.querySelector('dd')!.getBoundingClientRect();
        return !f.classList.contains('fact-long') && Math.abs(dt.top - dd.top) > 4;
      }).length,
    );
    expect(misplaced).toBe(0);
    expect(session.pageErrors).toEqual([]);
  });
});
