/**
 * The real-format pairs in the browser (issue 15, item 1): the Qwen3 and Llama 3 folders of
 * ../shared/models/realformat loaded as dropped folders at fp32 and a trajectory scored by the
 * page's engine — Who&When on WASM for both pairs, a τ²-bench prefix on WebGPU (Chromium's
 * SwiftShader adapter) for Qwen3, with the head cut and the reduction in the model's graph there
 * too — then exported as a bundle. Its plain-rendered token ids equal the float64 ground truth's
 * (expected/<arch>.jsonl, PyTorch) message by message, and every scored token's log-probs under
 * both models are within 1e-4 of it. The record says how each model ran.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BundleEntry } from '../../src/core/bundle';
import { openAppWithExamples, openBrowser, type BrowserSession } from '../../tools/browser';

const baseUrl = inject('baseUrl');
const SHARED = resolve(__dirname, '../../../shared');
const REALFORMAT = join(SHARED, 'models/realformat');
const WHO_AND_WHEN = { fixture: 'fixtures/trajectories/who_and_when/Algorithm-Generated/1.json', index: 0, id: '4d51c4bf-4b0e-4f3d-897b-3f6687a7d9f2' };
const TAU2 = { fixture: 'fixtures/trajectories/tau2_bench/airline_grok-3_4tasks_x4trials.json', index: 6, id: '9ea810f0-f976-4178-a866-45b0441997d8' };
/**
 * On WASM and on WebGPU alike. (SwiftShader's Cos / Sin are off by up to 1.9e-4, which moved
 * WebGPU's log-probs by 2.1e-4 until the engine rewrote the rotary Cos / Sin: exact-trig.ts.)
 */
const TOLERANCE = 1e-4;
/**
 * WebGPU on SwiftShader emulates the GPU on two shared cores: it scores the first five messages of
 * τ²-bench simulation 6 (223 Qwen3 tokens, 107 of them scored: assistant steps 0, 2 and 4). Log-probs
 * are causal and plain rendering tokenizes each message on its own, so the ground truth of the
 * whole sequence holds for the prefix.
 */
const PREFIX_FILE = 'tau2-simulation-6-first-5-messages.json';
const PREFIX_MESSAGES = 5;

interface Truth {
  tokenIds: number[];
  messageSpans: [number, number][];
  actionMessages: number[];
  /** Element k: log p(tokenIds[k + 1] | tokenIds[..k]). */
  policy: number[];
  reference: number[];
}

function truthOf(arch: 'qwen3' | 'llama3', trajectory: { fixture: string; index: number }): Truth {
  for (const line of readFileSync(join(REALFORMAT, `expected/${arch}.jsonl`), 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const value = JSON.parse(line) as Truth & { fixture: string; index: number; render: string };
    if (value.fixture === trajectory.fixture && value.index === trajectory.index && value.render === 'plain') return value;
  }
  throw new Error(`expected/${arch}.jsonl has no plain line for ${trajectory.fixture} #${trajectory.index}`);
}

let session: BrowserSession;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pa-realformat-'));
  const tau2 = JSON.parse(readFileSync(join(SHARED, TAU2.fixture), 'utf8')) as { simulations: { messages: unknown[] }[] };
  const simulation = tau2.simulations[TAU2.index];
  writeFileSync(join(work, PREFIX_FILE), JSON.stringify({ ...tau2, simulations: [{ ...simulation, messages: simulation.messages.slice(0, PREFIX_MESSAGES) }] }));
  session = await openBrowser();
  await openAppWithExamples(session.page, baseUrl);
  await session.page.getByTestId('file-input').setInputFiles([join(SHARED, WHO_AND_WHEN.fixture), join(work, PREFIX_FILE)]);
}, 60_000);

afterAll(async () => {
  await session?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function loadRealFormatPair(page: Page, arch: 'qwen3' | 'llama3', device: 'wasm' | 'webgpu'): Promise<void> {
  await page.getByTestId('model-source').selectOption('folders');
  await page.getByTestId('model-folder-policy').setInputFiles(join(REALFORMAT, `${arch}-policy`));
  await page.getByTestId('model-folder-reference').setInputFiles(join(REALFORMAT, `${arch}-reference`));
  await page.getByTestId('model-dtype').selectOption('fp32');
  await page.getByTestId('model-device').selectOption(device);
  await page.getByTestId('render-mode').selectOption('plain');
  await page.getByTestId('load-models').click();
  await expect.poll(() => page.getByTestId('model-status').textContent(), { timeout: 60_000 }).toMatch(/^(ready|error)$/);
  if ((await page.getByTestId('model-status').textContent()) === 'error') throw new Error(`${arch}: ${await page.getByTestId('model-error').textContent()}`);
}

/** Scores the Who&When trajectory with the loaded pair and returns its bundle entry (exported as the user would). */
async function scoreAndExport(page: Page, fileName: string, id: string, timeout: number): Promise<BundleEntry> {
  await page.getByTestId('filter-file').selectOption({ label: fileName });
  const row = page.locator(`[data-testid="trajectory-row"][data-id="${id}"]`);
  await row.waitFor({ timeout: 20_000 });
  await row.click();
  // A newly loaded pair has no scores yet: the row's score appears when this job's result arrives.
  await expect.poll(() => row.getByTestId('row-score').count(), { timeout: 10_000 }).toBe(0);
  await page.getByTestId('score-selected').click();
  await expect.poll(() => row.getByTestId('row-score').count(), { timeout }).toBe(1);

  if ((await page.getByTestId('share-menu').count()) === 0) await page.getByTestId('share-menu-button').click();
  const [download]: [Download, void] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.getByTestId('export-bundle-selected').click()]);
  const path = await download.path();
  await page.keyboard.press('Escape');
  const bundle = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as { entries: BundleEntry[] };
  const entry = bundle.entries.find((e) => e.trajectory.id === id);
  if (!entry?.score) throw new Error('the bundle holds no score for the trajectory');
  return entry;
}

/** Ids message by message, and every scored token's log-probs, against the ground truth. Returns the largest |Δ log p|. */
function compareWithTruth(entry: BundleEntry, truth: Truth, messages = truth.messageSpans.length): number {
  const score = entry.score!;
  const spans = truth.messageSpans.slice(0, messages);
  expect(score.tokens).toBe(spans[spans.length - 1][1]);
  expect(score.messageTokenCounts).toEqual(spans.map(([start, end]) => end - start));
  expect(score.record.steps.map((s) => s.message)).toEqual(truth.actionMessages.filter((m) => m < messages));
  let worst = 0;
  for (const step of score.record.steps) {
    const [start, end] = truth.messageSpans[step.message];
    // Token 0 of the sequence has no context: a step that starts there is scored from its second token.
    const first = Math.max(start, 1);
    expect(step.tokenIds).toEqual(truth.tokenIds.slice(first, end));
    for (let i = 0; i < step.policy.length; i++) {
      const position = first + i;
      worst = Math.max(worst, Math.abs(step.policy[i] - truth.policy[position - 1]), Math.abs(step.reference[i] - truth.reference[position - 1]));
    }
  }
  return worst;
}

describe('real-format pairs in the browser', () => {
  for (const arch of ['qwen3', 'llama3'] as const) {
    it(`${arch} on WASM: the ground truth's token ids, log-probs within 1e-4 of float64`, async () => {
      const { page } = session;
      await loadRealFormatPair(page, arch, 'wasm');
      const entry = await scoreAndExport(page, '1.json', WHO_AND_WHEN.id, 60_000);
      const worst = compareWithTruth(entry, truthOf(arch, WHO_AND_WHEN));
      console.log(`${arch} WASM fp32: max |Δ log p| vs float64 = ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(TOLERANCE);
      expect(entry.score!.device).toBe('wasm');
      expect(entry.score!.record.execution?.policy).toMatchObject({ device: 'wasm', dtype: 'fp32' });
    }, 120_000);
  }

  it('qwen3 on WebGPU (SwiftShader): the same ids, log-probs within 1e-4 of float64, the head cut to the scored rows', async () => {
    const { page } = session;
    const loadStart = Date.now();
    await loadRealFormatPair(page, 'qwen3', 'webgpu');
    const scoreStart = Date.now();
    expect(await page.getByTestId('model-status').getAttribute('data-device')).toBe('webgpu');
    const entry = await scoreAndExport(page, PREFIX_FILE, TAU2.id, 90_000);
    const scoreMs = Date.now() - scoreStart;
    const worst = compareWithTruth(entry, truthOf('qwen3', TAU2), PREFIX_MESSAGES);
    console.log(`qwen3 WebGPU fp32: max |Δ log p| vs float64 = ${worst.toExponential(2)} (load ${scoreStart - loadStart} ms, score and export ${scoreMs} ms)`);
    expect(worst).toBeLessThan(TOLERANCE);
    expect(entry.score!.device).toBe('webgpu');
    for (const model of ['policy', 'reference'] as const) {
      expect(entry.score!.record.execution?.[model]).toMatchObject({
        device: 'webgpu',
        dtype: 'fp32',
        logitsPlacement: 'device',
        reductionPlacement: 'model-graph',
        logitRows: 'scored-only',
        fallbacks: [],
      });
    }
    expect(session.pageErrors).toEqual([]);
  }, 150_000);
});
