/**
 * The browser engine gives the Node engine's figures: a trajectory scored in headless Chromium on
 * WASM and on WebGPU (the SwiftShader adapter) matches transformers.js + onnxruntime-node within
 * 1e-3 per token; a WebGPU failure mid-job falls back to WASM, says so, and finishes the job.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env } from '@huggingface/transformers';
import { parseTrajectoryText } from '../../src/core/trajectory';
import { renderPlainTexts, renderTrajectory } from '../../src/core/render';
import { loadTokenizer } from '../../src/core/tokenizer';
import { createTransformersEngine } from '../../src/core/engine/transformers';
import { nodeModelFiles } from '../../src/node/model-files';
import { scorePair } from '../../src/core/engine/pair';
import type { ScoreRecord } from '../../src/core/scores/format';
import { collectShownTokens, openAppWithExamples, openBrowser, type BrowserSession, type ShownToken, loadFolderPair } from '../../tools/browser';
import { writeRandomPair } from '../../tools/random-pair';

const baseUrl = inject('baseUrl');

const TRAJECTORY_FILE = 'refund.json';
const trajectoryJson = JSON.stringify({
  id: 'refund-1',
  task_id: 'refund',
  reward: 0,
  messages: [
    { role: 'system', content: 'You are a support agent for an airline.' },
    { role: 'user', content: 'I want a refund for booking ABC123 please' },
    { role: 'assistant', content: 'Let me look up the booking first.', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_booking', arguments: '{"id": "ABC123"}' } }] },
    { role: 'tool', tool_call_id: 'c1', content: '{"status": "flown", "refundable": false}' },
    { role: 'assistant', content: 'The flight was flown, so the booking is not refundable. I am sorry.' },
  ],
});

let session: BrowserSession;
let root: string;
let nodeRecord: ScoreRecord;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pa-browser-engine-'));
  const trajectory = parseTrajectoryText(TRAJECTORY_FILE, trajectoryJson).trajectories[0];
  writeRandomPair(root, renderPlainTexts(trajectory), 256);
  writeFileSync(join(root, TRAJECTORY_FILE), trajectoryJson);

  // The Node figures: the same engine code on onnxruntime-node.
  Object.assign(env, { allowLocalModels: true, allowRemoteModels: false, localModelPath: root });
  const tokenizer = await loadTokenizer('policy');
  const policy = await createTransformersEngine({ files: nodeModelFiles, modelId: 'policy', localModelPath: root, dtype: 'fp32', device: 'cpu' });
  const reference = await createTransformersEngine({ files: nodeModelFiles, modelId: 'reference', localModelPath: root, dtype: 'fp32', device: 'cpu' });
  nodeRecord = (await scorePair({ trajectory, rendered: renderTrajectory(trajectory, tokenizer, 'plain'), policy, reference, decodeTokens: (ids) => tokenizer.decodeTokens(ids) })).record;
  await policy.dispose();
  await reference.dispose();
  session = await openBrowser();
});

afterAll(async () => {
  await session?.close();
  rmSync(root, { recursive: true, force: true });
});

type BrowserToken = ShownToken;

async function scoreInBrowser(
  device: 'wasm' | 'webgpu',
  query = '',
): Promise<{ tokens: BrowserToken[]; device: string; fallback: string | null; reason: string; logitsPlacement: string | null; reduction: string | null; kvCache: string | null; logitRows: string | null }> {
  const { page } = session;
  await openAppWithExamples(page, `${baseUrl}${query}`);
  await loadFolderPair(page, root, device);
  await page.getByTestId('file-input').setInputFiles(join(root, TRAJECTORY_FILE));
  // The list is virtualized and starts with the demo episodes: show just this file.
  await page.getByTestId('filter-file').selectOption({ label: TRAJECTORY_FILE });
  const row = page.locator('[data-testid="trajectory-row"][data-id="refund-1"]');
  await row.waitFor({ timeout: 20_000 });
  await row.click();
  await page.getByTestId('score-selected').click();
  const progress = page.getByTestId('scoring-progress');
  await expect.poll(async () => `${await progress.getAttribute('data-running')} ${await progress.getAttribute('data-done')}`, { timeout: 90_000 }).toBe('false 1');
  const tokens = await collectShownTokens(page, nodeRecord.steps.reduce((n, step) => n + step.policy.length, 0));
  const fallback = (await page.getByTestId('device-fallback').count()) > 0 ? await page.getByTestId('device-fallback').textContent() : null;
  return {
    tokens,
    device: (await page.getByTestId('model-status').getAttribute('data-device')) ?? '',
    fallback,
    reason: (await page.getByTestId('device-reason').textContent()) ?? '',
    logitsPlacement: await page.getByTestId('logits-placement').getAttribute('data-placement'),
    reduction: await page.getByTestId('logits-placement').getAttribute('data-reduction'),
    kvCache: await page.getByTestId('logits-placement').getAttribute('data-kv-cache'),
    logitRows: await page.getByTestId('logits-placement').getAttribute('data-logit-rows'),
  };
}

function expectNodeFigures(tokens: BrowserToken[]) {
  const expected = nodeRecord.steps.flatMap((s) => s.policy.map((p, i) => ({ message: s.message, policy: p, reference: s.reference[i] })));
  expect(expected.length).toBeGreaterThan(10);
  expect(tokens.map((t) => t.message)).toEqual(expected.map((t) => t.message));
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(tokens[i].policy - expected[i].policy)).toBeLessThan(1e-3);
    expect(Math.abs(tokens[i].reference - expected[i].reference)).toBeLessThan(1e-3);
    expect(Math.abs(tokens[i].advantage - (expected[i].policy - expected[i].reference))).toBeLessThan(1e-3);
  }
}

describe('browser scoring engine', () => {
  it('scores on WASM with the Node figures', async () => {
    const result = await scoreInBrowser('wasm');
    expect(result.device).toBe('wasm');
    expect(result.reason).toBe('WASM chosen by you.');
    expect(result.logitsPlacement).toBe('cpu');
    // The reduction runs inside the model's graph, and the cache is appended to in the worker: only new rows leave the WASM heap.
    expect(result.reduction).toBe('model-graph');
    expect(result.kvCache).toBe('append-only');
    // …and its LM head computes the logits of the scored tokens only.
    expect(result.logitRows).toBe('scored-only');
    expectNodeFigures(result.tokens);
  });

  it('scores on WebGPU (software adapter) with the Node figures', async () => {
    const result = await scoreInBrowser('webgpu');
    expect(result.device).toBe('webgpu');
    expect(result.fallback).toBeNull();
    expect(result.reason).toBe('WebGPU chosen by you, on a software adapter (google swiftshader): correct but slow.');
    // The reduction runs inside the model's graph on the device, and its LM head computes the scored rows only.
    expect(result.logitsPlacement).toBe('device');
    expect(result.reduction).toBe('model-graph');
    expect(result.kvCache).toBe('append-only');
    expect(result.logitRows).toBe('scored-only');
    expectNodeFigures(result.tokens);
  });

  it('falls back to WASM when WebGPU fails mid-job, says so, and finishes the job', async () => {
    const result = await scoreInBrowser('webgpu', '?inject-webgpu-failure=run');
    expect(result.device).toBe('wasm');
    expect(result.fallback).toBe('WebGPU failed (injected WebGPU failure: device lost); the models were reloaded on WASM.');
    expectNodeFigures(result.tokens);
    expect(session.pageErrors).toEqual([]);
  });
});
