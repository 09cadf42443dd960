/**
 * What a user does first: open the app, see the examples, drop real benchmark files, read one,
 * and get a clear inline error for a broken file without losing anything else.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openAppWithExamples, openBrowser, type BrowserSession } from '../../tools/browser';

const FIXTURES = resolve(__dirname, '../../../shared/fixtures/trajectories');
const baseUrl = inject('baseUrl');

let session: BrowserSession;

beforeAll(async () => {
  session = await openBrowser();
});
afterAll(async () => {
  await session?.close();
});

/** The list is virtualized: the number of trajectories is the list's count, not the rendered rows. */
async function trajectoryCount(): Promise<number> {
  return Number(await session.page.getByTestId('trajectory-count').getAttribute('data-count'));
}

/** Drops files on the page the way a user's drag-and-drop does: a DataTransfer carried by a drop event. */
async function dropFiles(files: { name: string; content: string }[]) {
  await session.page.evaluate((payload) => {
    const dt = new DataTransfer();
    for (const f of payload) dt.items.add(new File([f.content], f.name, { type: 'application/json' }));
    const target = document.querySelector('[data-testid="drop-zone"]')!;
    target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, files);
}

describe('app shell', () => {
  it('gets a WebGPU adapter from navigator.gpu in this browser', async () => {
    const { page } = session;
    await page.goto(baseUrl);
    const adapter = await page.evaluate(async () => {
      const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      if (!gpu) return { hasGpu: false, adapter: false };
      const a = (await gpu.requestAdapter()) as { info?: { vendor?: string; architecture?: string }; isFallbackAdapter?: boolean } | null;
      return { hasGpu: true, adapter: a !== null, vendor: a?.info?.vendor ?? null };
    });
    expect(adapter.hasGpu).toBe(true);
    expect(adapter.adapter).toBe(true);
  });

  it('opens with the shipped examples listed', async () => {
    const { page } = session;
    await page.goto(baseUrl);
    const manifest = JSON.parse(readFileSync(resolve(__dirname, '../../public/examples/index.json'), 'utf8')) as { files: string[] };
    // Expected count worked out from the example files themselves: τ²-bench simulations + one per Who&When log.
    let expected = 0;
    for (const f of manifest.files) {
      const text = readFileSync(resolve(__dirname, '../../public/examples', f), 'utf8');
      expected += f.endsWith('.jsonl') ? text.split('\n').filter((line) => line.trim() !== '').length : 1;
    }
    await expect.poll(() => trajectoryCount(), { timeout: 20_000 }).toBe(expected);
    await expect.poll(() => page.getByTestId('transcript').count()).toBe(1);
    expect(session.pageErrors).toEqual([]);
  });

  it('lists the trajectories of a dropped SWE-agent file and shows one as a transcript', async () => {
    const { page } = session;
    const before = await trajectoryCount();
    const name = 'marshmallow-code__marshmallow-1867.function_calling.traj';
    const raw = readFileSync(resolve(FIXTURES, 'swe_agent', name), 'utf8');
    const expectedSteps = (JSON.parse(raw) as { trajectory: unknown[] }).trajectory.length;
    await dropFiles([{ name, content: raw }]);
    await expect.poll(() => trajectoryCount(), { timeout: 20_000 }).toBe(before + 1);
    // The list is virtualized: show just this file's trajectories.
    await page.getByTestId('filter-file').selectOption({ label: name });
    const row = page.locator('[data-testid="trajectory-row"][data-format="swe-agent"]');
    await expect.poll(() => row.count()).toBe(1);
    await expect.poll(async () => (await row.textContent()) ?? '').toContain(`${expectedSteps} steps`);
    await row.click();
    const transcript = page.getByTestId('transcript');
    await expect.poll(async () => (await transcript.textContent()) ?? '').toContain(name);
    await expect.poll(() => transcript.locator('[data-testid="message"]').count()).toBeGreaterThan(0);
  });

  it('reads files picked with the file input (Who&When and τ²-bench fixtures)', async () => {
    const { page } = session;
    await page.getByTestId('filter-file').selectOption('all');
    const before = await trajectoryCount();
    const tau2 = resolve(FIXTURES, 'tau2_bench/airline_grok-3_4tasks_x4trials.json');
    const simulations = (JSON.parse(readFileSync(tau2, 'utf8')) as { simulations: unknown[] }).simulations.length;
    await page.getByTestId('file-input').setInputFiles([tau2, resolve(FIXTURES, 'who_and_when/Hand-Crafted/1.json')]);
    await expect.poll(() => trajectoryCount(), { timeout: 20_000 }).toBe(before + simulations + 1);
    // The last loaded trajectory (the Who&When log) is reachable with the keyboard and shown.
    await page.getByTestId('trajectory-list').focus();
    await page.keyboard.press('End');
    const selected = page.locator('[data-testid="trajectory-row"][aria-selected="true"]');
    await expect.poll(() => selected.getAttribute('data-format')).toBe('who-and-when');
    await expect.poll(async () => (await page.getByTestId('transcript').textContent()) ?? '').toContain('1.json');
  });

  it('reports a broken file inline and keeps everything already loaded', async () => {
    const { page } = session;
    const before = await trajectoryCount();
    await dropFiles([{ name: 'broken.json', content: '{\n  "messages": [\n    {"role": "user", "content": "hi"},,\n  ]\n}' }]);
    const error = page.getByTestId('file-error');
    await expect.poll(() => error.count(), { timeout: 20_000 }).toBe(1);
    const text = (await error.textContent()) ?? '';
    expect(text).toContain('broken.json');
    expect(text).toBe("broken.json:3:39: invalid JSON: unexpected character ',': expected a value (object, array, string, number, true, false or null)");
    expect(await trajectoryCount()).toBe(before);
    expect(session.pageErrors).toEqual([]);
  });
});

describe('model presets', () => {
  it('offers the hub presets, fills their ids, and reports an unreachable hub without losing the session', async () => {
    const { page } = session;
    await openAppWithExamples(page, baseUrl);
    const before = await trajectoryCount();
    await page.getByTestId('model-source').selectOption('smollm-135m');
    expect(await page.getByTestId('model-hub-policy').inputValue()).toBe('HuggingFaceTB/SmolLM-135M-Instruct');
    expect(await page.getByTestId('model-hub-reference').inputValue()).toBe('HuggingFaceTB/SmolLM-135M');
    await page.getByTestId('load-models').click();
    await expect.poll(() => page.getByTestId('model-status').textContent(), { timeout: 90_000 }).toBe('error');
    expect((await page.getByTestId('model-error').textContent())?.length).toBeGreaterThan(0);
    expect(await trajectoryCount()).toBe(before);
    await page.getByTestId('model-source').selectOption('demo');
    expect(await page.getByTestId('load-models').isEnabled()).toBe(true);
  });
});
