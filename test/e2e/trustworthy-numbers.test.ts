/**
 * Numbers a user can trust (issue 13, items 1–3), in headless Chromium against the CLI's `eval`:
 * real files (the τ²-bench airline file, a Who&When log) and a small chat file whose task id
 * collides with a τ²-bench one are opened beside the demo and scored with two small random GPT-2
 * folders whose context (256 tokens) cuts steps off. The same trajectories are scored in Node with
 * the same engine code and evaluated by `eval` (each record carrying its `file`, as `score` writes).
 *
 * - unscored steps: "—" in the list, counted in the row, the curve and the dataset view; a trajectory
 *   with no scored step has no score and no decisive step and is left out of the dataset with the count;
 * - `--unscored zero` (and the page's setting) reproduces the reference code's zeros, the same in both;
 * - best-of-N groups by (file, task) unless the settings merge files;
 * - the dataset view and "Score listed (N)" follow the list's filters.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
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
const FIXTURES = resolve(REPO, '../shared/fixtures/trajectories');
const TAU2 = join(FIXTURES, 'tau2_bench/airline_grok-3_4tasks_x4trials.json');
const WHO_AND_WHEN = join(FIXTURES, 'who_and_when/Algorithm-Generated/7.json');
const CONTEXT = 256;
/** A τ²-bench task id of the airline file: the chat file uses it too. */
const COLLIDING_TASK = '11';

const CHAT_FILE = 'trust-chat.jsonl';
const LONG_PROMPT = Array.from({ length: 400 }, (_, i) => `word${i % 50}`).join(' ');
const CHAT_RECORDS = [
  {
    id: 'chat-ok',
    task_id: COLLIDING_TASK,
    reward: 1,
    messages: [
      { role: 'user', content: 'Please change my flight to Friday' },
      { role: 'assistant', content: 'Done, your flight is now on Friday.' },
    ],
  },
  {
    // The prompt alone fills the context: no action token is scored.
    id: 'chat-cut',
    task_id: COLLIDING_TASK,
    reward: 0,
    messages: [
      { role: 'user', content: LONG_PROMPT },
      { role: 'assistant', content: 'Sorry, I cannot help with that.' },
      { role: 'user', content: 'Why not?' },
      { role: 'assistant', content: 'Because the flight is full.' },
    ],
  },
];

interface EvalJson {
  n: number;
  perTrajectory: { id: string; score: number | null; stepScores: (number | null)[]; unscoredSteps: number; predicted: Record<string, number | null> }[];
  unscored: { trajectories: number; partial: number; steps: number };
  bestOfN: { successRate: number; meanReward: number; passAtN: number; meanAtN: number; groups: number; n: number; chosen: { taskId: string | null; id: string; candidates: number }[] } | null;
  uq: { n: number; auroc: number | null; spearman: number | null } | null;
  excluded: { bestOfN: { id: string; reason: string }[]; uncertainty: { id: string; reason: string }[] };
}

let session: BrowserSession;
let root: string;
/** The opened files, in the order opened, with their trajectories. */
let files: { path: string; name: string; trajectories: Trajectory[] }[];
let all: Trajectory[];
let skip: EvalJson;
let zero: EvalJson;
let merged: EvalJson;

function runEval(args: string[]): EvalJson {
  const stdout = execFileSync(process.execPath, [join(REPO, 'node_modules/tsx/dist/cli.mjs'), join(REPO, 'src/cli/main.ts'), 'eval', '--json', ...args], { cwd: REPO, encoding: 'utf8' });
  return JSON.parse(stdout) as EvalJson;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pa-trust-'));
  const chatPath = join(root, CHAT_FILE);
  writeFileSync(chatPath, CHAT_RECORDS.map((r) => JSON.stringify(r)).join('\n') + '\n');
  files = [TAU2, WHO_AND_WHEN, chatPath].map((path) => {
    const parsed = parseTrajectoryText(basename(path), readFileSync(path, 'utf8'));
    expect(parsed.errors ?? []).toEqual([]);
    return { path, name: basename(path), trajectories: parsed.trajectories };
  });
  all = files.flatMap((f) => f.trajectories);
  expect(new Set(all.map((t) => t.id)).size).toBe(all.length);
  expect(files[0].trajectories.some((t) => t.taskId === COLLIDING_TASK)).toBe(true);

  writeRandomPair(root, all.flatMap((t) => renderPlainTexts(t)), CONTEXT);
  Object.assign(env, { allowLocalModels: true, allowRemoteModels: false, localModelPath: root });
  const tokenizer = await loadTokenizer('policy');
  const policy = await createTransformersEngine({ files: nodeModelFiles, modelId: 'policy', localModelPath: root, dtype: 'fp32', device: 'cpu' });
  const reference = await createTransformersEngine({ files: nodeModelFiles, modelId: 'reference', localModelPath: root, dtype: 'fp32', device: 'cpu' });
  const lines: string[] = [];
  for (const file of files) {
    for (const trajectory of file.trajectories) {
      const { record } = await scorePair({ trajectory, rendered: renderTrajectory(trajectory, tokenizer, 'plain'), policy, reference, decodeTokens: (ids) => tokenizer.decodeTokens(ids) });
      // As `score` writes it: the trajectory file each record comes from.
      lines.push(serializeScoreRecord({ ...record, file: file.name }));
    }
  }
  await policy.dispose();
  await reference.dispose();
  const scoreFile = join(root, 'scores.jsonl');
  writeFileSync(scoreFile, lines.join('\n') + '\n');
  skip = runEval([scoreFile]);
  zero = runEval(['--unscored', 'zero', scoreFile]);
  merged = runEval(['--group-by', 'task', scoreFile]);
  session = await openBrowser();
}, 240_000);

afterAll(async () => {
  await session?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

const close = (a: number | null | undefined, b: number | null | undefined) => {
  if (a == null || b == null) return expect(a ?? null).toBe(b ?? null);
  expect(Math.abs(a - b)).toBeLessThan(1e-6);
};

async function waitIdle(done: number): Promise<void> {
  const progress = session.page.getByTestId('scoring-progress');
  await expect.poll(async () => `${await progress.getAttribute('data-running')} ${await progress.getAttribute('data-done')}`, { timeout: 180_000 }).toBe(`false ${done}`);
}

/** Selects a trajectory, the list filtered to its file (the list is virtualized: the demo's rows come first). */
async function select(id: string): Promise<void> {
  const file = files.find((f) => f.trajectories.some((t) => t.id === id))!;
  await session.page.getByTestId('filter-file').selectOption({ label: file.name });
  await session.page.locator(`[data-testid="trajectory-row"][data-id="${id}"]`).click();
}

describe('trustworthy numbers', () => {
  it('the evaluation in Node: cut steps are unscored and counted; chat-cut has no score; groups stay per file', () => {
    const cut = skip.perTrajectory.find((t) => t.id === 'chat-cut')!;
    expect(cut).toMatchObject({ score: null, unscoredSteps: 2, stepScores: [null, null], predicted: { min_cumulative: null } });
    expect(skip.unscored.trajectories).toBeGreaterThanOrEqual(1);
    expect(skip.unscored.partial).toBeGreaterThanOrEqual(1); // long τ²-bench episodes run past the context
    expect(zero.perTrajectory.find((t) => t.id === 'chat-cut')).toMatchObject({ score: 0, stepScores: [0, 0] });
    expect(skip.excluded.uncertainty).toContainEqual(expect.objectContaining({ id: 'chat-cut', reason: 'no score (no scored step)' }));
    // Task 11 of the chat file is its own group (one scored member); merged, it joins τ²-bench's task 11.
    const chatGroup = skip.bestOfN!.chosen.find((c) => c.id === 'chat-ok');
    expect(chatGroup?.candidates).toBe(1);
    expect(merged.bestOfN!.groups).toBeLessThan(skip.bestOfN!.groups);
  });

  it('scores the listed trajectories only: the list filtered to one file', async () => {
    const { page } = session;
    await openAppWithExamples(page, baseUrl);
    const demoCount = Number(await page.getByTestId('trajectory-count').getAttribute('data-count'));
    await loadFolderPair(page, root);
    await page.getByTestId('file-input').setInputFiles(files.map((f) => f.path));
    await expect.poll(() => page.getByTestId('trajectory-count').getAttribute('data-count'), { timeout: 30_000 }).toBe(String(demoCount + all.length));

    let done = 0;
    for (const file of files) {
      await page.getByTestId('filter-file').selectOption({ label: file.name });
      const button = page.getByTestId('score-all');
      await expect.poll(() => button.textContent()).toBe(`Score listed (${file.trajectories.length})`);
      await button.click();
      done = file.trajectories.length;
      await waitIdle(done);
      expect(await page.getByTestId('scoring-error').count()).toBe(0);
    }
    // The dataset tab follows the list: the chat file alone.
    await page.getByTestId('tab-dataset').click();
    const scope = page.getByTestId('dataset-scope');
    await expect.poll(() => scope.textContent()).toContain(`2 listed trajectories of ${demoCount + all.length} loaded; 1 left out: 1 no scored step`);
    await page.getByTestId('filter-file').selectOption('all');
    // Everything listed: the demo's episodes are not scored yet, chat-cut has no scored step.
    await expect.poll(() => scope.textContent()).toContain(`${demoCount + all.length} listed trajectories of ${demoCount + all.length} loaded; ${demoCount + skip.unscored.trajectories} left out: ${demoCount} not scored yet, ${skip.unscored.trajectories} no scored step`);
    expect(await scope.textContent()).toContain(`${skip.unscored.partial} partly scored`);
    expect(await page.getByTestId('score-all').textContent()).toBe(`Score listed (${demoCount + all.length})`);
  });

  it('shows the dataset numbers of eval (unscored left out), and of eval --unscored zero with the page setting', async () => {
    const { page } = session;
    const view = page.getByTestId('dataset-view');
    const dataset = async () => ({
      auroc: Number(await view.getByTestId('dataset-auroc').getAttribute('data-value')),
      best: await view.locator('[data-testid="bestofn-table"] td').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value')))),
    });
    const expectEval = async (report: EvalJson) => {
      await expect.poll(async () => (await dataset()).best[5], { timeout: 20_000 }).toBe(report.bestOfN!.n);
      const shown = await dataset();
      close(shown.auroc, report.uq!.auroc);
      const b = report.bestOfN!;
      expect(shown.best.slice(4)).toEqual([b.groups, b.n]);
      [b.successRate, b.meanReward, b.passAtN, b.meanAtN].forEach((v, i) => close(shown.best[i], v));
    };
    await expectEval(skip);
    await page.getByTestId('setting-unscored').selectOption('zero');
    await expectEval(zero);
    await expect.poll(() => page.getByTestId('dataset-scope').textContent()).toContain('with no scored step counted as 0');
    await page.getByTestId('setting-grouping').selectOption('task');
    await page.getByTestId('setting-unscored').selectOption('skip');
    await expectEval(merged);
    await page.getByTestId('setting-grouping').selectOption('file-task');
    await expectEval(skip);
  });

  it('a trajectory with no scored step: "—" in the list, no decisive step, the curve hatched; zero shows 0 and step 1', async () => {
    const { page } = session;
    await page.getByTestId('tab-trajectory').click();
    await page.getByTestId('filter-file').selectOption({ label: CHAT_FILE });
    const row = page.locator('[data-testid="trajectory-row"][data-id="chat-cut"]');
    await expect.poll(() => row.getByTestId('row-score').textContent()).toBe('—');
    expect(await row.getByTestId('row-unscored').getAttribute('data-count')).toBe('2');
    expect(await row.getByTestId('row-decisive').count()).toBe(0);
    await select('chat-cut');
    const curve = page.getByTestId('step-curve');
    await expect.poll(() => curve.getAttribute('aria-label')).toBe('Step curve of chat-cut');
    expect(await curve.locator('[data-testid="curve-step"][data-unscored="true"]').count()).toBe(2);
    expect(await curve.getByTestId('decisive-step').count()).toBe(0);
    expect(await curve.getByTestId('curve-unscored-count').getAttribute('data-unscored')).toBe('2');

    await page.getByTestId('setting-unscored').selectOption('zero');
    await expect.poll(() => row.getByTestId('row-score').textContent()).toBe('0.000');
    expect(await curve.getByTestId('decisive-step').getAttribute('data-message')).toBe(String(zero.perTrajectory.find((t) => t.id === 'chat-cut')!.predicted.min_cumulative));
    await page.getByTestId('setting-unscored').selectOption('skip');
    await expect.poll(() => row.getByTestId('row-score').textContent()).toBe('—');
  });

  it('a partly scored trajectory: its cut steps hatched and counted, the rest as eval scores them', async () => {
    const { page } = session;
    const partial = skip.perTrajectory.find((t) => t.unscoredSteps > 0 && t.score !== null)!;
    expect(partial).toBeDefined();
    await select(partial.id);
    const curve = page.getByTestId('step-curve');
    await expect.poll(() => curve.getAttribute('aria-label')).toBe(`Step curve of ${partial.id}`);
    const marks = await curve.getByTestId('curve-step').evaluateAll((els) => els.map((e) => (e.getAttribute('data-unscored') === 'true' ? null : Number(e.getAttribute('data-score')))));
    expect(marks.map((m) => m === null)).toEqual(partial.stepScores.map((s) => s === null));
    marks.forEach((m, i) => (m === null ? undefined : expect(Math.abs(m - (partial.stepScores[i] as number))).toBeLessThan(1e-3)));
    expect(await curve.getByTestId('curve-unscored-count').getAttribute('data-unscored')).toBe(String(partial.unscoredSteps));
    expect(await curve.getByTestId('curve-unscored-legend').count()).toBe(1);
    const decisive = curve.getByTestId('decisive-step');
    expect(await decisive.getAttribute('data-message')).toBe(String(partial.predicted.min_cumulative));
    expect(await page.locator(`[data-testid="trajectory-row"][data-id="${partial.id}"]`).getByTestId('row-unscored').getAttribute('data-count')).toBe(String(partial.unscoredSteps));
  });

  it('groups by (file, task): the chat file’s task 11 stays apart from τ²-bench’s, unless the settings merge files', async () => {
    const { page } = session;
    await select('chat-ok');
    await page.getByTestId('tab-group').click();
    const view = page.getByTestId('group-view');
    const members = () => view.locator('[data-testid="group-member"], [data-testid="group-chosen"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    await expect.poll(members).toEqual(['chat-ok', 'chat-cut']);
    expect(await view.getAttribute('data-files')).toBe('1');
    expect(await view.getByTestId('group-member-file').allTextContents()).toEqual([CHAT_FILE, CHAT_FILE]);
    // chat-cut has no score: best-of-N keeps chat-ok, never the unscored one.
    expect(await view.getByTestId('group-chosen').getAttribute('data-id')).toBe('chat-ok');

    await page.getByTestId('setting-grouping').selectOption('task');
    const tau2Members = files[0].trajectories.filter((t) => t.taskId === COLLIDING_TASK).map((t) => t.id);
    await expect.poll(async () => (await members()).length).toBe(2 + tau2Members.length);
    expect(await view.getAttribute('data-files')).toBe('2');
    expect(await view.getByTestId('group-chosen').getAttribute('data-id')).toBe(merged.bestOfN!.chosen.find((c) => c.taskId === COLLIDING_TASK)!.id);
    await page.getByTestId('setting-grouping').selectOption('file-task');

    // The curve's overlay offers the same group: the one other member of the chat file's task.
    await page.getByTestId('tab-trajectory').click();
    await expect.poll(() => page.locator('.curve-overlay-toggle').textContent()).toContain('(1)');
  });
});
