/**
 * The inspector on the embedded demo pair, as a user meets it: the app opens with the demo
 * episodes, loads the shipped models (WASM, then WebGPU on the software adapter), a real fixture
 * file is dropped next to them, everything is scored, and what the page shows equals the CLI:
 * token advantages (`score`), the decisive step and the dataset numbers (`eval`).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseScoreJsonl, type ScoreRecord } from '../../src/core/scores/format';
import { collectShownTokens, openAppWithExamples, openBrowser, type BrowserSession } from '../../tools/browser';

const baseUrl = inject('baseUrl');
const REPO = resolve(__dirname, '../..');
const EXAMPLES = join(REPO, 'public/examples/demo-episodes.jsonl');
const FIXTURE = resolve(REPO, '../shared/fixtures/trajectories/who_and_when/Algorithm-Generated/1.json');
const cliArgs = (...args: string[]) => [join(REPO, 'node_modules/tsx/dist/cli.mjs'), join(REPO, 'src/cli/main.ts'), ...args];

let dir: string;
let cliRecords: ScoreRecord[];
let evalReport: { perTrajectory: { id: string; predicted: Record<string, number | null> }[]; uq: { auroc: number | null; spearman: number | null } };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pa-demo-'));
  const out = join(dir, 'scores.jsonl');
  // The demo pair reads its own episodes through its chat template (the preset's rendering); a real
  // fixture cannot be split into messages under that template with the demo's word-level tokenizer (its words are unknown to it), so it is
  // scored with plain rendering — in the page too, after the chat attempt reports the error.
  const fixtureOut = join(dir, 'fixture-scores.jsonl');
  execFileSync(process.execPath, cliArgs('score', '--quiet', '--preset', 'demo', '--out', out, EXAMPLES), { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  execFileSync(process.execPath, cliArgs('score', '--quiet', '--preset', 'demo', '--render', 'plain', '--out', fixtureOut, FIXTURE), { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  writeFileSync(out, readFileSync(out, 'utf8') + readFileSync(fixtureOut, 'utf8'));
  cliRecords = parseScoreJsonl(readFileSync(out, 'utf8'), out).records.map((r) => r.record);
  evalReport = JSON.parse(execFileSync(process.execPath, cliArgs('eval', '--json', '--beta', '0.5', out), { cwd: REPO }).toString());
  writeFileSync(join(dir, 'ids.json'), JSON.stringify(cliRecords.map((r) => r.id)));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(['wasm', 'webgpu'] as const)('the demo pair on %s', (device) => {
  let session: BrowserSession;
  beforeAll(async () => {
    session = await openBrowser();
  });
  afterAll(async () => {
    await session?.close();
  });

  it('scores the demo episodes and a fixture with the figures of the CLI', async () => {
    const { page } = session;
    await openAppWithExamples(page, baseUrl);
    expect(await page.getByTestId('model-source').inputValue()).toBe('demo');
    await page.getByTestId('model-device').selectOption(device);
    await page.getByTestId('load-models').click();
    await expect.poll(() => page.getByTestId('model-status').textContent(), { timeout: 90_000 }).not.toMatch(/loading|not loaded/);
    if ((await page.getByTestId('model-status').textContent()) !== 'ready') throw new Error(`demo pair did not load: ${await page.getByTestId('model-error').textContent()}`);
    expect(await page.getByTestId('model-status').getAttribute('data-device')).toBe(device);
    await page.getByTestId('file-input').setInputFiles(FIXTURE);
    await expect.poll(async () => Number(await page.getByTestId('trajectory-count').getAttribute('data-count'))).toBe(cliRecords.length);
    await page.getByTestId('score-all').click();
    const progress = page.getByTestId('scoring-progress');
    await expect.poll(() => progress.getAttribute('data-running'), { timeout: 300_000, interval: 1000 }).toBe('false');
    expect(await progress.getAttribute('data-done')).toBe(String(cliRecords.length));
    // The fixture cannot be rendered with the demo's chat template: the page says so and suggests plain.
    expect(await page.getByTestId('scoring-error').textContent()).toContain('render this trajectory in plain mode instead');
    await page.getByTestId('render-mode').selectOption('plain');
    await page.getByTestId('filter-file').selectOption({ label: '1.json' });
    await page.locator(`[data-testid="trajectory-row"][data-id="${cliRecords.at(-1)!.id}"]`).click();
    await page.getByTestId('score-selected').click();
    await expect.poll(async () => `${await progress.getAttribute('data-running')} ${await progress.getAttribute('data-done')}`, { timeout: 120_000 }).toBe('false 1');
    await page.getByTestId('filter-file').selectOption('all');

    // Tokens: a failed and a successful episode, and the fixture (long: steps past the 128-token context are not scored).
    const picks = [cliRecords.find((r) => (r.reward ?? 0) < 1)!, cliRecords.find((r) => (r.reward ?? 0) >= 1)!, cliRecords.at(-1)!];
    for (const record of picks) {
      await page.getByTestId('filter-search').fill('');
      const row = page.locator(`[data-testid="trajectory-row"][data-id="${record.id}"]`);
      await page.getByTestId('filter-task').fill(record.taskId ?? '');
      await row.click();
      await expect.poll(() => page.locator('[data-testid="transcript"] h2').textContent()).toBe(record.id);
      // The demo pair is read with its training β (0.5), set when it loads.
      const beta = Number(await page.getByTestId('setting-beta').inputValue());
      expect(beta).toBe(0.5);
      const expected = record.steps.flatMap((s) => s.policy.map((p, i) => beta * (p - s.reference[i])));
      const shown = (await collectShownTokens(page, expected.length)).map((t) => t.advantage);
      expect(shown.length).toBe(expected.length);
      shown.forEach((a, i) => expect(Math.abs(a - expected[i])).toBeLessThan(device === 'wasm' ? 1e-4 : 1e-3));
      // The decisive step where the core predicts it (min_cumulative, the default predictor).
      const predicted = evalReport.perTrajectory.find((t) => t.id === record.id)!.predicted.min_cumulative;
      expect(await page.getByTestId('transcript-decisive').getAttribute('data-message')).toBe(predicted === null ? '' : String(predicted));
      const marker = page.getByTestId('decisive-step');
      if (predicted !== null) expect(await marker.getAttribute('data-message')).toBe(String(predicted));
    }
    await page.getByTestId('filter-task').fill('');

    // The dataset view shows eval's numbers.
    await page.getByTestId('tab-dataset').click();
    const auroc = Number(await page.getByTestId('dataset-auroc').getAttribute('data-value'));
    expect(evalReport.uq.auroc).not.toBeNull();
    expect(Math.abs(auroc - evalReport.uq.auroc!)).toBeLessThan(device === 'wasm' ? 1e-9 : 1e-3);
    await page.screenshot({ path: join(REPO, `test-results/screenshots/demo-dataset-${device}.png`), fullPage: true });
    await page.getByTestId('tab-trajectory').click();
    await page.screenshot({ path: join(REPO, `test-results/screenshots/demo-trajectory-${device}.png`) });
    expect(session.pageErrors).toEqual([]);
  });
});
