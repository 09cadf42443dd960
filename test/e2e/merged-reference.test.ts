/**
 * The merged reference and the paper's aggregation presets in the page (issue 18, items 4 and 5):
 * the demo pair loaded with the model panel's merged reference at α = 0.4 scores the demo
 * episodes with the token advantages `score --reference-merge 0.4` writes, and choosing a paper
 * preset in the settings sets its options and shows the AUROC `eval --preset` computes from the
 * CLI's scores (for a mean / mean preset: see FIGURE_PRESET).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseScoreJsonl, type ScoreRecord } from '../../src/core/scores/format';
import { collectShownTokens, openAppWithExamples, openBrowser, type BrowserSession } from '../../tools/browser';

const baseUrl = inject('baseUrl');
const REPO = resolve(__dirname, '../..');
const EXAMPLES = join(REPO, 'public/examples/demo-episodes.jsonl');
const PRESET = 'tau2-uq-airline-qwen3.5-9b';
// The figure compared with eval --preset: a mean over tokens and steps (max / min aggregations turn
// the engines' float noise, ~1e-6 between onnxruntime-node and -web, into flipped near-ties).
const FIGURE_PRESET = 'merged-reference-bon';
const cliArgs = (...args: string[]) => [join(REPO, 'node_modules/tsx/dist/cli.mjs'), join(REPO, 'src/cli/main.ts'), ...args];

let dir: string;
let records: ScoreRecord[];
let presetAuroc: number;
let session: BrowserSession;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pa-merge-'));
  const out = join(dir, 'scores.jsonl');
  execFileSync(process.execPath, cliArgs('score', '--quiet', '--preset', 'demo', '--reference-merge', '0.4', '--out', out, EXAMPLES), { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  records = parseScoreJsonl(readFileSync(out, 'utf8'), out).records.map((r) => r.record);
  presetAuroc = (JSON.parse(execFileSync(process.execPath, cliArgs('eval', '--json', '--preset', FIGURE_PRESET, out), { cwd: REPO }).toString()) as { uq: { auroc: number } }).uq.auroc;
  session = await openBrowser();
}, 120_000);

afterAll(async () => {
  await session?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the merged reference and the paper presets in the page', () => {
  it('scores with the merged reference as the CLI does, and a preset gives eval --preset’s AUROC', async () => {
    const { page } = session;
    await openAppWithExamples(page, baseUrl);
    await page.getByTestId('model-device').selectOption('wasm');
    await page.getByTestId('reference-merge-on').check();
    await page.getByTestId('reference-merge-alpha').fill('0.4');
    await page.getByTestId('load-models').click();
    await expect.poll(() => page.getByTestId('model-status').textContent(), { timeout: 90_000 }).not.toMatch(/loading|not loaded/);
    if ((await page.getByTestId('model-status').textContent()) !== 'ready') throw new Error(`merged pair did not load: ${await page.getByTestId('model-error').textContent()}`);
    expect(await page.getByTestId('reference-merge-pending').count()).toBe(0);
    await expect.poll(async () => Number(await page.getByTestId('trajectory-count').getAttribute('data-count'))).toBe(records.length);
    await page.getByTestId('score-all').click();
    const progress = page.getByTestId('scoring-progress');
    await expect.poll(() => progress.getAttribute('data-running'), { timeout: 300_000, interval: 1000 }).toBe('false');
    expect(await progress.getAttribute('data-done')).toBe(String(records.length));

    // Token advantages of a failed and a successful episode: β·(log π_θ − log π_ref(α)) from the CLI's records.
    for (const record of [records.find((r) => (r.reward ?? 0) < 1)!, records.find((r) => (r.reward ?? 0) >= 1)!]) {
      await page.getByTestId('filter-task').fill(record.taskId ?? '');
      await page.locator(`[data-testid="trajectory-row"][data-id="${record.id}"]`).click();
      await expect.poll(() => page.locator('[data-testid="transcript"] h2').textContent()).toBe(record.id);
      const beta = Number(await page.getByTestId('setting-beta').inputValue());
      const expected = record.steps.flatMap((s) => s.policy.map((p, i) => beta * (p - s.reference[i])));
      expect(expected.some((a) => Math.abs(a) > 1e-3)).toBe(true);
      const shown = (await collectShownTokens(page, expected.length)).map((t) => t.advantage);
      expect(shown.length).toBe(expected.length);
      shown.forEach((a, i) => expect(Math.abs(a - expected[i])).toBeLessThan(1e-4));
    }
    await page.getByTestId('filter-task').fill('');

    // The paper preset: its options in the controls, eval --preset's AUROC in the dataset view.
    expect(await page.getByTestId('setting-preset').inputValue()).toBe('');
    await page.getByTestId('setting-preset').selectOption(PRESET);
    expect(await page.getByTestId('setting-token-agg').inputValue()).toBe('max');
    expect(await page.getByTestId('setting-step-agg').inputValue()).toBe('mean');
    expect(await page.getByTestId('setting-mode').inputValue()).toBe('per-model');
    expect(await page.getByTestId('setting-unscored').inputValue()).toBe('zero');
    expect(Number(await page.getByTestId('setting-beta').inputValue())).toBe(1);
    await page.getByTestId('setting-preset').selectOption(FIGURE_PRESET);
    expect(await page.getByTestId('setting-token-agg').inputValue()).toBe('mean');
    await page.getByTestId('tab-dataset').click();
    const auroc = Number(await page.getByTestId('dataset-auroc').getAttribute('data-value'));
    expect(Math.abs(auroc - presetAuroc)).toBeLessThan(1e-9);
    // Changing one option leaves the preset: the select says custom.
    await page.getByTestId('tab-trajectory').click();
    await page.getByTestId('setting-step-agg').selectOption('last');
    expect(await page.getByTestId('setting-preset').inputValue()).toBe('');
    await page.screenshot({ path: join(REPO, 'test-results/screenshots/merged-reference.png'), fullPage: true });
    expect(session.pageErrors).toEqual([]);
  });
});
