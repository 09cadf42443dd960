/**
 * The inspector's views against the core: a set of seven trajectories of three tasks is scored in
 * headless Chromium with two small random GPT-2 folders, and what the step curve, the best-of-N
 * group view and the dataset view show is checked against the CLI's `eval` on the same trajectories
 * scored in Node with the same engine code. Screenshots of every view, light and dark, go to
 * test-results/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { env } from '@huggingface/transformers';
import { parseTrajectoryText } from '../../src/core/trajectory';
import type { Trajectory } from '../../src/core/trajectory/types';
import { renderPlainTexts, renderTrajectory } from '../../src/core/render';
import { loadTokenizer } from '../../src/core/tokenizer';
import { createTransformersEngine } from '../../src/core/engine/transformers';
import { nodeModelFiles } from '../../src/node/model-files';
import { scorePair } from '../../src/core/engine/pair';
import { serializeScoreRecord } from '../../src/core/scores/format';
import { openAppWithExamples, openBrowser, type BrowserSession, loadFolderPair } from '../../tools/browser';
import { writeRandomPair } from '../../tools/random-pair';

const baseUrl = inject('baseUrl');
const REPO = resolve(__dirname, '../..');
const SCREENSHOTS = join(REPO, 'test-results/screenshots');

// ---------------------------------------------------------------------------------------------
// The trajectories: OpenAI chat records of two tasks (three samples each, rewards of both classes)
// and one Who&When log, the format that carries a labelled mistake step.

const SYSTEM = { role: 'system', content: 'You are a support agent for an airline. Use the tools.' };
const call = (id: string, name: string, args: Record<string, unknown>) => ({ id, type: 'function', function: { name, arguments: JSON.stringify(args) } });

const REFUND_USER = { role: 'user', content: 'I want a refund for booking ABC123 please' };
const BAGGAGE_USER = { role: 'user', content: 'My bag did not arrive on flight 42 to Lisbon' };

interface ChatRecord {
  id: string;
  task_id: string;
  reward: number;
  messages: Record<string, unknown>[];
}

const CHAT_RECORDS: ChatRecord[] = [
  {
    id: 'refund-a',
    task_id: 'refund',
    reward: 1,
    messages: [
      SYSTEM,
      REFUND_USER,
      { role: 'assistant', content: 'Let me look up the booking first.', tool_calls: [call('c1', 'get_booking', { id: 'ABC123' })] },
      { role: 'tool', tool_call_id: 'c1', content: '{"status": "cancelled by airline", "refundable": true}' },
      { role: 'assistant', content: 'The airline cancelled it, so I refund it now.', tool_calls: [call('c2', 'refund', { id: 'ABC123' })] },
      { role: 'tool', tool_call_id: 'c2', content: '{"ok": true}' },
      { role: 'assistant', content: 'Your refund is on its way.' },
    ],
  },
  {
    id: 'refund-b',
    task_id: 'refund',
    reward: 0,
    messages: [
      SYSTEM,
      REFUND_USER,
      { role: 'assistant', content: 'Let me look up the booking first.', tool_calls: [call('c7', 'get_booking', { id: 'ABC123' })] },
      { role: 'tool', tool_call_id: 'c7', content: '{"status": "cancelled by airline", "refundable": true}' },
      { role: 'assistant', content: 'Sorry, refunds are not possible for this booking.' },
    ],
  },
  {
    id: 'refund-c',
    task_id: 'refund',
    reward: 0,
    messages: [
      SYSTEM,
      REFUND_USER,
      { role: 'assistant', content: 'I refund it right away.', tool_calls: [call('c3', 'refund', { id: 'ABC124' })] },
      { role: 'tool', tool_call_id: 'c3', content: '{"error": "no such booking"}' },
      { role: 'assistant', content: 'There was an error with your booking, please call us.' },
    ],
  },
  {
    id: 'baggage-a',
    task_id: 'baggage',
    reward: 0,
    messages: [
      SYSTEM,
      BAGGAGE_USER,
      { role: 'assistant', content: 'Bags are not our problem, please ask the airport.' },
    ],
  },
  {
    id: 'baggage-b',
    task_id: 'baggage',
    reward: 1,
    messages: [
      SYSTEM,
      BAGGAGE_USER,
      { role: 'assistant', content: 'I will trace your bag.', tool_calls: [call('c4', 'trace_bag', { flight: 42 })] },
      { role: 'tool', tool_call_id: 'c4', content: '{"location": "Madrid", "eta": "tomorrow"}' },
      { role: 'assistant', content: 'Your bag is in Madrid and arrives in Lisbon tomorrow.' },
    ],
  },
  {
    id: 'baggage-c',
    task_id: 'baggage',
    reward: 1,
    messages: [
      SYSTEM,
      BAGGAGE_USER,
      { role: 'assistant', content: 'I will trace your bag.', tool_calls: [call('c5', 'trace_bag', { flight: 42 })] },
      { role: 'tool', tool_call_id: 'c5', content: '{"location": "Madrid", "eta": "tomorrow"}' },
      { role: 'assistant', content: 'Found it: the bag comes tomorrow, and I add a voucher.', tool_calls: [call('c6', 'voucher', { amount: 50 })] },
      { role: 'tool', tool_call_id: 'c6', content: '{"ok": true}' },
      { role: 'assistant', content: 'Done: the bag arrives tomorrow and you have a voucher of 50.' },
    ],
  },
];

const WHO_AND_WHEN_ID = 'ww-lost-bag';
const WHO_AND_WHEN_MISTAKE = 2;
const WHO_AND_WHEN = {
  question: 'Where is the bag of flight 42?',
  question_ID: WHO_AND_WHEN_ID,
  is_correct: false,
  mistake_agent: 'Searcher',
  mistake_step: String(WHO_AND_WHEN_MISTAKE),
  history: [
    { content: 'Where is the bag of flight 42?', name: 'human', role: 'user' },
    { content: 'Plan: ask the searcher to trace the bag.', name: 'Planner', role: 'assistant' },
    { content: 'The bag is in Lisbon already.', name: 'Searcher', role: 'assistant' },
    { content: 'Good, the bag is in Lisbon.', name: 'Planner', role: 'assistant' },
  ],
};

const CHAT_FILE = 'views-set.jsonl';
const WW_FILE = 'views-who-and-when.json';

// ---------------------------------------------------------------------------------------------

interface EvalJson {
  perTrajectory: { id: string; score: number | null; stepScores: number[]; predicted: Record<string, number | null> }[];
  bestOfN: { successRate: number; meanReward: number; passAtN: number; meanAtN: number; groups: number; n: number; chosen: { taskId: string | null; id: string }[] };
  uq: { auroc: number | null; spearman: number | null };
  failureAttribution: Record<string, { accuracy: number; within1: number; within2: number; mae: number; n: number }> | null;
}

interface SweepJson {
  values: (number | null)[][];
}

let session: BrowserSession;
let root: string;
/** The trajectories in list order (the chat file, then the Who&When log). */
let trajectories: Trajectory[];
let evalReport: EvalJson;
let evalByMethod: Record<string, EvalJson>;
let sweepAuroc: SweepJson;
let sweepFaAccuracy: SweepJson;

function runEval(args: string[]): unknown {
  const stdout = execFileSync(process.execPath, [join(REPO, 'node_modules/tsx/dist/cli.mjs'), join(REPO, 'src/cli/main.ts'), 'eval', '--json', ...args], {
    cwd: REPO,
    encoding: 'utf8',
  });
  return JSON.parse(stdout);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pa-views-'));
  const chatText = CHAT_RECORDS.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const wwText = JSON.stringify(WHO_AND_WHEN);
  writeFileSync(join(root, CHAT_FILE), chatText);
  writeFileSync(join(root, WW_FILE), wwText);
  trajectories = [...parseTrajectoryText(CHAT_FILE, chatText).trajectories, ...parseTrajectoryText(WW_FILE, wwText).trajectories];
  expect(trajectories.map((t) => t.id)).toEqual([...CHAT_RECORDS.map((r) => r.id), WHO_AND_WHEN_ID]);
  expect(trajectories[6].labels.mistakeStep).toBe(WHO_AND_WHEN_MISTAKE);

  writeRandomPair(root, trajectories.flatMap((t) => renderPlainTexts(t)));

  // The same trajectories scored in Node with the engine the worker runs, then evaluated by the CLI.
  Object.assign(env, { allowLocalModels: true, allowRemoteModels: false, localModelPath: root });
  const tokenizer = await loadTokenizer('policy');
  const policy = await createTransformersEngine({ files: nodeModelFiles, modelId: 'policy', localModelPath: root, dtype: 'fp32', device: 'cpu' });
  const reference = await createTransformersEngine({ files: nodeModelFiles, modelId: 'reference', localModelPath: root, dtype: 'fp32', device: 'cpu' });
  const lines: string[] = [];
  for (const trajectory of trajectories) {
    const { record } = await scorePair({ trajectory, rendered: renderTrajectory(trajectory, tokenizer, 'plain'), policy, reference, decodeTokens: (ids) => tokenizer.decodeTokens(ids) });
    lines.push(serializeScoreRecord(record));
  }
  await policy.dispose();
  await reference.dispose();
  const scoreFile = join(root, 'scores.jsonl');
  writeFileSync(scoreFile, lines.join('\n') + '\n');
  evalReport = runEval([scoreFile]) as EvalJson;
  evalByMethod = {};
  for (const method of ['policy-logprob', 'self-certainty']) evalByMethod[method] = runEval(['--method', method, scoreFile]) as EvalJson;
  sweepAuroc = runEval(['--sweep', '--metric', 'auroc', scoreFile]) as SweepJson;
  sweepFaAccuracy = runEval(['--sweep', '--metric', 'fa-accuracy', scoreFile]) as SweepJson;

  mkdirSync(SCREENSHOTS, { recursive: true });
  session = await openBrowser();
});

afterAll(async () => {
  await session?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

async function selectTrajectory(id: string): Promise<void> {
  const { page } = session;
  await page.locator(`[data-testid="trajectory-row"][data-id="${id}"]`).click();
  await page.waitForSelector(`[data-testid="step-curve"][data-state="ready"][aria-label="Step curve of ${id}"]`, { timeout: 10_000 });
}

async function showTab(tab: 'trajectory' | 'group' | 'dataset'): Promise<void> {
  await session.page.getByTestId(`tab-${tab}`).click();
}

/** The views scroll inside the page: a taller window shows all of one at once. */
async function screenshotTall(path: string): Promise<void> {
  const { page } = session;
  await page.setViewportSize({ width: 1280, height: 1700 });
  await page.screenshot({ path });
  await page.setViewportSize({ width: 1280, height: 800 });
}

function numberAttribute(value: string | null): number {
  expect(value).not.toBeNull();
  expect(value).not.toBe('');
  return Number(value);
}

describe('inspector views', () => {
  it('scores the set in the browser', async () => {
    const { page } = session;
    await openAppWithExamples(page, baseUrl);
    // Only the test's trajectories are scored: close the shipped examples first.
    const closeButtons = page.locator('button[aria-label^="Close "]');
    while ((await closeButtons.count()) > 0) await closeButtons.first().click();
    await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-count')).toBe('0');

    await loadFolderPair(page, root);

    await page.getByTestId('file-input').setInputFiles([join(root, CHAT_FILE), join(root, WW_FILE)]);
    await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-count'), { timeout: 20_000 }).toBe('7');
    await page.getByTestId('score-all').click();
    const progress = page.getByTestId('scoring-progress');
    await expect
      .poll(async () => `${await progress.getAttribute('data-running')} ${await progress.getAttribute('data-done')}`, { timeout: 90_000 })
      .toBe('false 7');
    expect(await page.getByTestId('scoring-error').count()).toBe(0);
  });

  it('draws one step mark per action step and marks the decisive step where the core predicts it', async () => {
    const { page } = session;
    await showTab('trajectory');
    for (const [i, trajectory] of trajectories.entries()) {
      await selectTrajectory(trajectory.id);
      const curve = page.getByTestId('step-curve');
      const marks = curve.getByTestId('curve-step');
      expect(await marks.count()).toBe(trajectory.actionSteps.length);
      expect(await marks.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-message'))))).toEqual(trajectory.actionSteps);
      const expected = evalReport.perTrajectory[i];
      expect(expected.id).toBe(trajectory.id);
      // The step scores the bars stand for equal the CLI's (the browser engine agrees within 1e-3 per token).
      const scores = await marks.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-score'))));
      scores.forEach((s, k) => expect(Math.abs(s - expected.stepScores[k])).toBeLessThan(1e-3));
      expect(numberAttribute(await curve.getByTestId('decisive-step').getAttribute('data-message'))).toBe(expected.predicted.min_cumulative);
      const mistake = curve.getByTestId('labelled-mistake-marker');
      if (trajectory.labels.mistakeStep === undefined) expect(await mistake.count()).toBe(0);
      else expect(numberAttribute(await mistake.getAttribute('data-message'))).toBe(trajectory.labels.mistakeStep);
    }
  });

  it('links hover and click on the curve with the linked-view state, both ways', async () => {
    const { page } = session;
    const trajectory = trajectories[0];
    await selectTrajectory(trajectory.id);
    const bands = page.getByTestId('curve-step-band');
    const marks = page.getByTestId('curve-step');
    await bands.nth(1).hover();
    await expect.poll(() => marks.nth(1).getAttribute('data-hovered')).toBe('true');
    const tooltip = page.getByTestId('curve-tooltip');
    expect(await tooltip.getAttribute('data-message')).toBe(String(trajectory.actionSteps[1]));
    expect(await tooltip.textContent()).toContain(`message ${trajectory.actionSteps[1]}`);
    await bands.nth(1).click();
    await expect.poll(() => marks.nth(1).getAttribute('data-selected')).toBe('true');
    // A step chosen elsewhere (the global j shortcut) is marked on the curve too.
    await page.mouse.move(2, 2);
    await page.keyboard.press('j');
    await expect.poll(() => marks.nth(2).getAttribute('data-selected')).toBe('true');
    expect(await marks.nth(1).getAttribute('data-selected')).toBe('false');
  });

  it('overlays the other trajectories of the task', async () => {
    const { page } = session;
    await selectTrajectory('refund-a');
    const toggle = page.getByTestId('overlay-task');
    await toggle.check();
    await expect.poll(() => page.getByTestId('curve-overlay-line').evaluateAll((els) => els.map((e) => e.getAttribute('data-key')).length)).toBe(2);
    const legend = await page.getByTestId('curve-overlay-legend').allTextContents();
    expect(legend.some((t) => t.includes('refund-b'))).toBe(true);
    expect(legend.some((t) => t.includes('refund-c'))).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'trajectory-overlay-light.png') });
    await toggle.uncheck();
    await expect.poll(() => page.getByTestId('curve-overlay-line').count()).toBe(0);
    await selectTrajectory(WHO_AND_WHEN_ID);
    await page.getByTestId('curve-step-band').nth(WHO_AND_WHEN_MISTAKE - 1).hover();
    await page.screenshot({ path: join(SCREENSHOTS, 'trajectory-light.png') });
  });

  it('marks the trajectory best-of-N chooses in each group, with where the others diverge', async () => {
    const { page } = session;
    for (const taskId of ['refund', 'baggage']) {
      const members = CHAT_RECORDS.filter((r) => r.task_id === taskId);
      await showTab('trajectory');
      await selectTrajectory(members[0].id);
      await showTab('group');
      const view = page.getByTestId('group-view');
      expect(await view.getAttribute('data-task')).toBe(taskId);
      const chosenId = evalReport.bestOfN.chosen.find((c) => c.taskId === taskId)?.id;
      expect(chosenId).toBeDefined();
      const chosen = view.getByTestId('group-chosen');
      expect(await chosen.count()).toBe(1);
      expect(await chosen.getAttribute('data-id')).toBe(chosenId);
      const cards = view.locator('[data-testid="group-member"], [data-testid="group-chosen"]');
      expect(await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(members.map((m) => m.id));

      // Where each parts from the chosen one: the first message whose role, text or tool call differs.
      const chosenRecord = members.find((m) => m.id === chosenId)!;
      const said = (m: Record<string, unknown>) =>
        JSON.stringify([m.role, m.content, ((m.tool_calls as ReturnType<typeof call>[] | undefined) ?? []).map((c) => [c.function.name, c.function.arguments])]);
      for (const member of members) {
        if (member === chosenRecord) continue;
        let at = 0;
        while (at < Math.min(member.messages.length, chosenRecord.messages.length) && said(member.messages[at]) === said(chosenRecord.messages[at])) at++;
        const card = view.locator(`[data-id="${member.id}"]`);
        expect(await card.getAttribute('data-diverges-at')).toBe(String(at));
        expect(await card.getByTestId('group-divergence').textContent()).toContain(`diverges from the chosen at message ${at}`);
      }
      await page.screenshot({ path: join(SCREENSHOTS, `group-${taskId}-light.png`) });
    }
    // Clicking a trajectory in the group selects it.
    const other = page.locator('[data-testid="group-member"]').first();
    const otherId = await other.getAttribute('data-id');
    await other.click();
    await expect.poll(() => other.getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator(`[data-testid="trajectory-row"][data-id="${otherId}"]`).getAttribute('class')).toContain('selected');
  });

  it('shows the dataset numbers of the CLI eval', async () => {
    const { page } = session;
    await showTab('dataset');
    const view = page.getByTestId('dataset-view');
    await view.waitFor();

    const auroc = view.getByTestId('dataset-auroc');
    expect(evalReport.uq.auroc).not.toBeNull();
    expect(Math.abs(numberAttribute(await auroc.getAttribute('data-value')) - (evalReport.uq.auroc as number))).toBeLessThan(1e-9);
    expect(await auroc.textContent()).toBe((evalReport.uq.auroc as number).toFixed(4));
    const spearman = view.getByTestId('dataset-spearman');
    expect(Math.abs(numberAttribute(await spearman.getAttribute('data-value')) - (evalReport.uq.spearman as number))).toBeLessThan(1e-9);
    expect(await view.getByTestId('roc-curve').count()).toBe(1);

    const fa = evalReport.failureAttribution!;
    for (const predictor of Object.keys(fa)) {
      const cells = await view.locator(`[data-testid="fa-table"] tr[data-predictor="${predictor}"] td[data-value]`).evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
      expect(cells.slice(0, 4)).toEqual([fa[predictor].accuracy, fa[predictor].within1, fa[predictor].within2, fa[predictor].mae]);
    }

    const bestCells = await view.locator('[data-testid="bestofn-table"] td').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
    const best = evalReport.bestOfN;
    expect(bestCells).toEqual([best.successRate, best.meanReward, best.passAtN, best.meanAtN, best.groups, best.n]);

    const baselines = view.getByTestId('baselines-table');
    await baselines.waitFor({ timeout: 10_000 });
    expect(await baselines.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-method')))).toEqual([
      'progress',
      'policy-logprob',
      'reference-logprob',
      'self-certainty',
      'deepconf-tail',
      'deepconf-b10',
    ]);
    const aurocOf = async (method: string) => numberAttribute(await baselines.locator(`tr[data-method="${method}"] td`).first().getAttribute('data-value'));
    expect(Math.abs((await aurocOf('progress')) - (evalReport.uq.auroc as number))).toBeLessThan(1e-9);
    for (const [method, report] of Object.entries(evalByMethod)) expect(Math.abs((await aurocOf(method)) - (report.uq.auroc as number))).toBeLessThan(1e-9);

    const sweep = view.getByTestId('sweep-table');
    const sweepValues = () =>
      sweep.locator('tbody tr').evaluateAll((trs) =>
        trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => (td.getAttribute('data-value') === '' ? null : Number(td.getAttribute('data-value'))))),
      );
    const expectSweep = (rows: (number | null)[][], expected: SweepJson) => {
      expect(rows).toHaveLength(5);
      rows.forEach((row, i) => {
        expect(row).toHaveLength(6);
        row.forEach((value, j) => {
          const want = expected.values[i][j];
          if (want === null) expect(value).toBeNull();
          else expect(Math.abs((value as number) - want)).toBeLessThan(1e-9);
        });
      });
    };
    await sweep.waitFor({ timeout: 20_000 });
    expect(await sweep.getAttribute('data-metric')).toBe('auroc');
    expectSweep(await sweepValues(), sweepAuroc);
    await screenshotTall(join(SCREENSHOTS, 'dataset-light.png'));

    await view.getByTestId('sweep-metric').selectOption('fa-accuracy');
    await expect.poll(() => sweep.getAttribute('data-metric'), { timeout: 20_000 }).toBe('fa-accuracy');
    expectSweep(await sweepValues(), sweepFaAccuracy);
    await view.getByTestId('sweep-metric').selectOption('auroc');
  });

  it('renders every view in dark mode', async () => {
    const { page } = session;
    await page.getByTestId('theme-toggle').click();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await screenshotTall(join(SCREENSHOTS, 'dataset-dark.png'));
    await showTab('group');
    await page.screenshot({ path: join(SCREENSHOTS, 'group-dark.png') });
    await showTab('trajectory');
    await selectTrajectory('refund-a');
    await page.getByTestId('overlay-task').check();
    await page.getByTestId('curve-step-band').nth(1).hover();
    await page.screenshot({ path: join(SCREENSHOTS, 'trajectory-dark.png') });
    // Back to light for whoever opens the profile next.
    await page.getByTestId('theme-toggle').click();
    expect(session.pageErrors).toEqual([]);
  });
});
