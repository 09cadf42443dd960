/**
 * A 200 MB JSON Lines file is parsed in the ingestion worker while the page stays responsive:
 * no main-thread task long enough to be felt as a freeze, and every record arrives.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { describeTasks, openAppWithExamples, openBrowser, traceMainThreadTasks, type BrowserSession } from './browser';

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
  const out = createWriteStream(filePath);
  const filler = 'lorem ipsum dolor sit amet '.repeat(60);
  let bytes = 0;
  while (bytes < TARGET_BYTES) {
    const line =
      JSON.stringify({
        id: `run-${records}`,
        task_id: `task-${records % 97}`,
        reward: records % 3 === 0 ? 1 : 0,
        messages: [
          { role: 'system', content: 'You are a helpful agent.' },
          { role: 'user', content: `Request ${records}: ${filler}` },
          { role: 'assistant', content: null, tool_calls: [{ id: `c${records}`, type: 'function', function: { name: 'lookup', arguments: `{"n": ${records}}` } }] },
          { role: 'tool', tool_call_id: `c${records}`, content: filler },
          { role: 'assistant', content: `Done with ${records}.` },
        ],
      }) + '\n';
    if (!out.write(line)) await once(out, 'drain');
    bytes += Buffer.byteLength(line);
    records++;
  }
  out.end();
  await once(out, 'finish');
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
