/**
 * `npm run bench -- --quick --json --node-only` runs end to end and reports every key. Nothing
 * here depends on speed (the machine is shared): only presence, finiteness and the figures that
 * are counts rather than timings (bytes read back, tokens forwarded with prefix reuse).
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const REPO = resolve(__dirname, '../../..');
const KEYS = [
  'engineVsNative',
  'wasmVsNative',
  'webgpuMatchesWasm',
  'bytesPerToken',
  'memoryGrowth',
  'prefixReuse',
  'gflops',
  'gflopsPeak',
  'gflopsPeakMethod',
  'firstRenderMs',
  'longTasksDuringScroll',
  'parseMBps',
  'realShapeEngineVsNative',
  'realShapeWasmVsNative',
  'realShapeMemoryGrowth',
  'realShapeGflops',
  'serverClientTokensPerSecond',
  'serverReplicaScaling',
] as const;

describe('npm run bench -- --quick --json --node-only', () => {
  it('prints the figures, then every key in one JSON object on the last line', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/main.ts', '--quick', '--json', '--node-only'], {
      cwd: REPO,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 120_000,
    });
    const lines = stdout.trim().split('\n');
    const report = JSON.parse(lines[lines.length - 1]) as Record<string, unknown> & { details: Record<string, Record<string, number>> };
    for (const key of KEYS) expect(report, key).toHaveProperty(key);
    for (const key of ['engineVsNative', 'memoryGrowth', 'prefixReuse', 'gflops', 'gflopsPeak', 'bytesPerToken', 'realShapeEngineVsNative', 'realShapeMemoryGrowth', 'realShapeGflops', 'serverClientTokensPerSecond', 'serverReplicaScaling'] as const) {
      const value = report[key] as number;
      expect(Number.isFinite(value), key).toBe(true);
      expect(value, key).toBeGreaterThan(0);
    }
    // --node-only: the browser figures are present and null.
    for (const key of ['wasmVsNative', 'webgpuMatchesWasm', 'firstRenderMs', 'longTasksDuringScroll', 'parseMBps', 'realShapeWasmVsNative'] as const) expect(report[key], key).toBeNull();
    expect(report.gflopsPeakMethod).toMatch(/cores × .* MHz/);
    // Counts, not timings: 3 float32 figures per scored token; the shared prefix is forwarded once.
    expect(report.bytesPerToken).toBe(12);
    expect(report.details.throughput.bytesPerTokenSeparateReduction).toBeGreaterThan(4 * 4000);
    expect(report.prefixReuse).toBeLessThan(0.6);
    expect(report.details.prefixReuse.maxAbsDifference).toBeLessThan(1e-5);
    // The real shape (quick: the tiny Llama-shape q4 model): the engine ran it with the reduction in
    // its graph and the head on scored rows only, reading back 3 float32 figures per token.
    const realShape = report.details.realShape as unknown as { size: string; tokens: number; throughput: Record<string, unknown>; memory: Record<string, number> };
    expect(realShape).toMatchObject({ size: 'tiny', tokens: 512, throughput: { reductionPlacement: 'model-graph', logitRows: 'scored-only', bytesPerToken: 12 } });
    expect(realShape.memory).toMatchObject({ shortTokens: 512, longTokens: 2048 });
    expect(report.realShapeSize).toBe('tiny');
    // The human-readable lines come first, one per figure.
    expect(lines.slice(0, -1).join('\n')).toMatch(/engineVsNative[\s\S]*parseMBps[\s\S]*realShapeEngineVsNative[\s\S]*realShapeGflops/);
  }, 150_000);

  it('rejects unknown options with exit status 2', async () => {
    const attempt = promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/main.ts', '--fast'], { cwd: REPO });
    await expect(attempt).rejects.toMatchObject({ code: 2 });
  });

  it('rejects an unknown --real-shape-size with exit status 2, naming the known sizes', async () => {
    const attempt = promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/main.ts', '--real-shape-size', '7b'], { cwd: REPO });
    await expect(attempt).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining("--real-shape-size: unknown size '7b' (known: tiny, small, 0.5b)") });
  });
});
