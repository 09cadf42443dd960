/**
 * The hub path, tested without the hub (issue 15, item 6): a server on 127.0.0.1 laid out like the
 * hub (hub-server.ts) serves the real-format Qwen3 pair under the Qwen3 preset's ids and the
 * Llama 3 pair under ids typed by hand; the test build reads its hub there (/test-hub/, forwarded
 * by the preview server). The preset and the typed ids load with download progress; a second load
 * after a page reload reads every model file from the browser's cache (no file fetched again); a
 * dtype with no file and an id with no repository give clear errors and leave the session as it
 * was. Before the download the panel estimates the pair's memory, checked here against the files'
 * sizes and the configs, and warns when the device reports less.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { findPreset } from '../../src/core/models/presets';
import { renderPlainTexts } from '../../src/core/render';
import { parseTrajectoryText } from '../../src/core/trajectory';
import { openAppWithExamples, openBrowser, type BrowserSession } from '../../tools/browser';
import { startHubServer, type HubServer } from './hub-server';

const baseUrl = inject('baseUrl');
const REALFORMAT = resolve(__dirname, '../../../shared/models/realformat');
const QWEN3 = findPreset('qwen3-0.6b')!;
const LLAMA = { policy: 'test-org/llama3-policy', reference: 'test-org/llama3-reference' };

let hub: HubServer;
let session: BrowserSession;

beforeAll(async () => {
  hub = await startHubServer(inject('hubPort'), {
    [QWEN3.policy]: join(REALFORMAT, 'qwen3-policy'),
    [QWEN3.reference]: join(REALFORMAT, 'qwen3-reference'),
    [LLAMA.policy]: join(REALFORMAT, 'llama3-policy'),
    [LLAMA.reference]: join(REALFORMAT, 'llama3-reference'),
  });
  session = await openBrowser();
  // navigator.deviceMemory as the test sets it (window.__deviceMemoryGiB), the browser's own otherwise.
  await session.context.addInitScript(() => {
    const own = Object.getOwnPropertyDescriptor(Navigator.prototype, 'deviceMemory')?.get;
    Object.defineProperty(Navigator.prototype, 'deviceMemory', {
      configurable: true,
      get(this: Navigator) {
        return (globalThis as { __deviceMemoryGiB?: number }).__deviceMemoryGiB ?? own?.call(this);
      },
    });
  });
}, 60_000);

afterAll(async () => {
  await session?.close();
  await hub?.close();
});

/** Clicks load and follows the status until it settles; returns every status text seen on the way. */
async function loadAndFollow(): Promise<{ final: string; seen: string[] }> {
  const { page } = session;
  await page.getByTestId('load-models').click();
  const seen: string[] = [];
  const deadline = Date.now() + 90_000;
  for (;;) {
    const text = (await page.getByTestId('model-status').textContent()) ?? '';
    if (seen.at(-1) !== text) seen.push(text);
    if (text === 'ready' || text === 'error') return { final: text, seen };
    if (Date.now() > deadline) throw new Error(`the pair did not load in time (status ${text})`);
    await page.waitForTimeout(50);
  }
}

const MB = (text: string): number => {
  const match = /([\d.]+) (KB|MB)/.exec(text);
  return match ? Number(match[1]) * (match[2] === 'KB' ? 1 / 1024 : 1) : 0;
};

/** The longest demo episode's plain rendering (the example file the page loads), in characters. */
function longestExampleCharacters(): number {
  const file = resolve(__dirname, '../../public/examples/demo-episodes.jsonl');
  const { trajectories } = parseTrajectoryText('demo-episodes.jsonl', readFileSync(file, 'utf8'));
  let longest = 0;
  for (const trajectory of trajectories) longest = Math.max(longest, renderPlainTexts(trajectory).join('').length);
  return longest;
}

describe('the hub path against a local hub', () => {
  it('estimates the preset pair’s memory before the download, and warns when the device reports less', async () => {
    const { page } = session;
    await openAppWithExamples(page, `${baseUrl}`);
    await page.getByTestId('model-device').selectOption('wasm');
    await page.getByTestId('model-source').selectOption(QWEN3.id);
    expect(await page.getByTestId('model-dtype').inputValue()).toBe('fp32');
    const estimate = page.getByTestId('memory-estimate');
    await expect.poll(() => estimate.getAttribute('data-state'), { timeout: 20_000 }).toBe('fits');

    // Independently: both fp32 files' sizes, and per model layers 2 × (K, V) × 2 KV heads × head_dim 8 × tokens × 4 bytes.
    const tokens = Math.ceil(longestExampleCharacters() / 3);
    expect(Number(await estimate.getAttribute('data-tokens'))).toBe(tokens);
    const weights = statSync(join(REALFORMAT, 'qwen3-policy/onnx/model.onnx')).size + statSync(join(REALFORMAT, 'qwen3-reference/onnx/model.onnx')).size;
    expect(Number(await estimate.getAttribute('data-total-bytes'))).toBe(weights + 2 * (2 * 2 * 2 * 8 * tokens * 4));
    expect(await estimate.getAttribute('data-complete')).toBe('true');
    expect(await estimate.textContent()).toContain(`at ${tokens.toLocaleString('en')} tokens`);
    expect(hub.downloads().filter((r) => r.file?.startsWith('onnx/'))).toEqual([]); // HEAD only: nothing big fetched yet

    await page.evaluate(() => ((globalThis as { __deviceMemoryGiB?: number }).__deviceMemoryGiB = 0.015));
    await page.getByTestId('model-dtype').selectOption('q4');
    await expect.poll(() => estimate.getAttribute('data-state'), { timeout: 20_000 }).toBe('warning');
    expect(await page.getByTestId('memory-warning').textContent()).toBe('This device may not hold the pair: the pair needs more than the 0.015 GiB of memory this device reports.');
    await page.evaluate(() => delete (globalThis as { __deviceMemoryGiB?: number }).__deviceMemoryGiB);
    await page.getByTestId('model-dtype').selectOption('fp32');
  }, 90_000);

  it('loads the preset from the hub with download progress, and says how each model runs', async () => {
    const { page } = session;
    const { final, seen } = await loadAndFollow();
    expect(final).toBe('ready');
    // Download progress: the status counted bytes up before it was ready.
    const progress = seen.filter((text) => text.startsWith('loading… ') && MB(text) > 0);
    expect(progress.length).toBeGreaterThan(1);
    const files = hub.downloads().map((r) => `${r.model}:${r.file}`);
    for (const side of [QWEN3.policy, QWEN3.reference]) {
      for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) expect(files).toContain(`${side}:${file}`);
    }
    for (const side of ['policy', 'reference'] as const) {
      const run = page.getByTestId(`model-run-${side}`);
      expect(await run.getAttribute('data-device')).toBe('wasm');
      expect(await run.getAttribute('data-dtype')).toBe('fp32');
      expect(Number(await run.getAttribute('data-chunk-size'))).toBeGreaterThan(0);
      expect(await run.textContent()).toMatch(new RegExp(`^${side} \\(${side === 'policy' ? QWEN3.policy : QWEN3.reference}\\): WASM, fp32; logits reduced`));
    }
  }, 120_000);

  it('a second load, after a page reload, reads every model file from the browser cache', async () => {
    const { page } = session;
    const before = hub.downloads().length;
    await page.reload();
    // The saved session's pair choice comes back once the session is read.
    await expect.poll(() => page.getByTestId('model-source').inputValue(), { timeout: 20_000 }).toBe(QWEN3.id);
    // A restored session may reload its pair by itself; otherwise load it.
    const status = await page.getByTestId('model-status').textContent();
    if (status !== 'ready' && status !== 'loading… ') {
      expect((await loadAndFollow()).final).toBe('ready');
    } else {
      await expect.poll(() => page.getByTestId('model-status').textContent(), { timeout: 60_000 }).toBe('ready');
    }
    const again = hub.downloads().slice(before).filter((r) => r.model === QWEN3.policy || r.model === QWEN3.reference);
    // config.json may be read by the memory estimate (a plain fetch); no tokenizer or ONNX file is fetched again.
    expect(again.filter((r) => r.file !== 'config.json')).toEqual([]);
  }, 120_000);

  it('loads hub ids typed by hand (Llama 3, q4)', async () => {
    const { page } = session;
    await page.getByTestId('model-source').selectOption('hub');
    await page.getByTestId('model-hub-policy').fill(LLAMA.policy);
    await page.getByTestId('model-hub-reference').fill(LLAMA.reference);
    await page.getByTestId('model-dtype').selectOption('q4');
    const { final, seen } = await loadAndFollow();
    expect(final).toBe('ready');
    expect(seen.some((text) => text.startsWith('loading… ') && MB(text) > 0)).toBe(true);
    expect(hub.downloads().map((r) => `${r.model}:${r.file}`)).toEqual(expect.arrayContaining([`${LLAMA.policy}:onnx/model_q4.onnx`, `${LLAMA.reference}:onnx/model_q4.onnx`]));
    expect(await page.getByTestId('model-run-reference').getAttribute('data-dtype')).toBe('q4');
  }, 120_000);

  it('a dtype with no file, or an id with no repository: a clear error, and the session stays as it was', async () => {
    const { page } = session;
    const listed = await page.getByTestId('trajectory-row').count();
    await page.getByTestId('model-dtype').selectOption('q8');
    const missingDtype = await loadAndFollow();
    expect(missingDtype.final).toBe('error');
    const error = (await page.getByTestId('model-error').textContent()) ?? '';
    expect(error).toContain(`cannot load the policy model (q8) from the hub model "${LLAMA.policy}"`);
    expect(error).toContain('onnx/model_quantized.onnx');
    expect(error).toContain('the hub has no such file: check the model id, and that the dtype asked for is published as ONNX there');
    expect(hub.requests.some((r) => r.model === LLAMA.policy && r.file === 'onnx/model_quantized.onnx' && r.status === 404)).toBe(true);

    await page.getByTestId('model-hub-policy').fill('test-org/no-such-model');
    await page.getByTestId('model-dtype').selectOption('q4');
    const missingModel = await loadAndFollow();
    expect(missingModel.final).toBe('error');
    expect(await page.getByTestId('model-error').textContent()).toMatch(
      /^cannot load the policy tokenizer from the hub model "test-org\/no-such-model" at http:\/\/127\.0\.0\.1:\d+\/test-hub\/: http:\/\/\S+\/test-org\/no-such-model\/resolve\/main\/tokenizer\.json answered 404 Not Found \(the hub has no such file: check the model id, and that the model is published as ONNX there\)$/,
    );

    // The session is intact: the same trajectories listed, and a good pair loads again from the cache.
    expect(await page.getByTestId('trajectory-row').count()).toBe(listed);
    await page.getByTestId('model-hub-policy').fill(LLAMA.policy);
    const before = hub.downloads().length;
    expect((await loadAndFollow()).final).toBe('ready');
    expect(hub.downloads().slice(before).filter((r) => r.file?.startsWith('onnx/'))).toEqual([]);
    expect(session.pageErrors.filter((e) => !/Failed to load resource: the server responded with a status of 404/.test(e))).toEqual([]);
  }, 120_000);
});
