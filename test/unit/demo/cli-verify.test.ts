/** `demo verify` on the shipped pair: the app's engine against the exact A* (issue: the proof). */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const REPO = resolve(__dirname, '../../..');

function verify(...args: string[]) {
  const out = execFileSync(process.execPath, [resolve(REPO, 'node_modules/tsx/dist/cli.mjs'), resolve(REPO, 'src/cli/main.ts'), 'demo', 'verify', '--json', ...args], { cwd: REPO }).toString();
  return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown> & { pearson: number; spearman: number; meanAbsError: number; episodes: number; steps: number; beta: number; successRate: { optimal: number; policy: number; reference: number } };
}

describe('demo verify', () => {
  it('finds the step advantage of the shipped pair equal to the exact A* (Pearson ≥ 0.95)', () => {
    const report = verify();
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['episodes', 'steps', 'pearson', 'spearman', 'meanAbsError', 'beta', 'policyFile', 'referenceFile']));
    expect(report.episodes).toBe(128);
    expect(report.steps).toBeGreaterThan(200);
    expect(report.beta).toBe(0.5);
    expect(report.pearson).toBeGreaterThanOrEqual(0.95);
    expect(report.spearman).toBeGreaterThanOrEqual(0.9);
    expect(report.meanAbsError).toBeLessThan(0.1);
    // RL got close to the optimum and far above the reference it started from.
    expect(report.successRate.policy).toBeGreaterThan(report.successRate.reference + 0.2);
    expect(report.successRate.policy).toBeLessThanOrEqual(report.successRate.optimal + 1e-9);
    expect(report.policyFile).toMatch(/demo-policy\/onnx\/model\.onnx$/);
  });

  it('holds on the q8 files too', () => {
    const report = verify('--dtype', 'q8');
    expect(report.pearson).toBeGreaterThanOrEqual(0.95);
    expect(report.policyFile).toMatch(/model_quantized\.onnx$/);
  });
});
