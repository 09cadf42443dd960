/**
 * A 200 MB JSON Lines file is parsed in the ingestion worker while the page stays responsive:
 * no main-thread task long enough to be felt as a freeze, and every record arrives. The same for a
 * large analysis bundle (decompressed and validated in the worker).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeTasks, openAppWithExamples, openBrowser, traceMainThreadTasks, type BrowserSession } from '../../tools/browser';
import { parseTrajectoryText } from '../../src/core/trajectory';
import { agentRecord, writeAgentRecordsFile } from '../../tools/generated';
import { BUNDLE_FORMAT, encodeBundle, type AnalysisBundle } from '../../src/core/bundle';
import { DEFAULT_ANALYSIS_SETTINGS } from '../../src/state/analysis';

const baseUrl = inject('baseUrl');
const TARGET_BYTES = 200 * 1024 * 1024;
/** A task this long is a visible hitch; the parse itself takes seconds, so a freeze would far exceed it. */
const MAX_TASK_MS = 400;

let session: BrowserSession;
let dir: string;
let filePath: string;
let records = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pa-large-'));
  filePath = join(dir, 'large.jsonl');
  records = await writeAgentRecordsFile(filePath, TARGET_BYTES);
  session = await openBrowser();
});

afterAll(async () => {
  await session?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a 200 MB JSON Lines file', () => {
  it('loads every record in the worker without freezing the page', async () => {
    const { page } = session;
    await openAppWithExamples(page, baseUrl);
    const before = Number(await page.getByTestId('trajectory-count').getAttribute('data-count'));
    const trace = await traceMainThreadTasks(page);
    expect(statSync(filePath).size).toBeGreaterThanOrEqual(TARGET_BYTES);
    const started = Date.now();
    await page.getByTestId('file-input').setInputFiles(filePath);
    await expect
      .poll(async () => Number(await page.getByTestId('trajectory-count').getAttribute('data-count')), { timeout: 110_000, interval: 500 })
      .toBe(before + records);
    const elapsed = Date.now() - started;
    const tasks = await trace.stop();
    console.log(`200 MB file: ${records} records in ${elapsed} ms; main-thread tasks ≥ 50 ms: ${describeTasks(tasks)}`);
    expect(tasks.length).toBeGreaterThan(0);
    expect(Math.max(...tasks.map((task) => task.cpuMs))).toBeLessThan(MAX_TASK_MS);
    expect(session.pageErrors).toEqual([]);
  });
});

describe('a large analysis bundle', () => {
  it('is decompressed and validated in the worker: the page never blocks while it opens', async () => {
    // 6,000 trajectories of the records above, each action step (the tool call, the answer) with 200 scored tokens.
    const count = 6000;
    const lines = Array.from({ length: count }, (_, n) => JSON.stringify(agentRecord(n, 'bundled')));
    const { trajectories } = parseTrajectoryText('bundled.jsonl', lines.join('\n'));
    expect(trajectories).toHaveLength(count);
    const steps = (n: number, actionSteps: readonly number[]) =>
      actionSteps.map((message) => ({
        message,
        policy: Array.from({ length: 200 }, (_, i) => -((i * 13 + n) % 17) / 4),
        reference: Array.from({ length: 200 }, (_, i) => -((i * 5 + n) % 11) / 3),
        tokens: Array.from({ length: 200 }, (_, i) => ` t${i}`),
      }));
    const bundle: AnalysisBundle = {
      format: BUNDLE_FORMAT,
      createdAt: '2026-11-22T00:00:00.000Z',
      app: { name: 'progress-advantage', version: '0.0.0' },
      modelPairs: [],
      settings: { evaluation: DEFAULT_ANALYSIS_SETTINGS.evaluation, predictor: DEFAULT_ANALYSIS_SETTINGS.predictor, colourRangeMode: 'fixed', colourRange: 1, showWhitespace: false, contextPolicy: 'fit', contextTokens: 16384 },
      selected: null,
      entries: trajectories.map((trajectory, n) => ({
        fileName: 'bundled.jsonl',
        trajectory,
        score: { record: { id: trajectory.id, steps: steps(n, trajectory.actionSteps) }, notScored: [], stepLevelOnly: false, tokens: 0, messageTokenCounts: [], forwardedTokens: 0, device: 'precomputed' },
      })),
    };
    const bundlePath = join(dir, 'large.pa-bundle.json.gz');
    writeFileSync(bundlePath, encodeBundle(bundle));

    const { page } = session;
    await openAppWithExamples(page, baseUrl);
    const before = Number(await page.getByTestId('trajectory-count').getAttribute('data-count'));
    const trace = await traceMainThreadTasks(page);
    const started = Date.now();
    await page.getByTestId('file-input').setInputFiles(bundlePath);
    await expect
      .poll(async () => Number(await page.getByTestId('trajectory-count').getAttribute('data-count')), { timeout: 110_000, interval: 250 })
      // A bundle opened over the examples of a fresh session replaces them (README, Sharing).
      .toBe(count);
    const tasks = await trace.stop();
    console.log(`bundle of ${count} scored trajectories (${statSync(bundlePath).size} bytes gzip): opened in ${Date.now() - started} ms; main-thread tasks ≥ 50 ms: ${describeTasks(tasks)}`);
    expect(Math.max(...tasks.map((task) => task.cpuMs))).toBeLessThan(MAX_TASK_MS);
    expect(session.pageErrors).toEqual([]);
  });
});
