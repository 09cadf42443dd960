/**
 * `eval --preset NAME` (the paper's tuned aggregations) and `eval --sweep-merge` (the merged
 * reference's α sweep) from the command line. The sweep's row at each α must equal `eval --json`
 * on what `score --reference-merge α` writes, and at α = 1 (the policy as its own reference, A ≡ 0)
 * every score ties: AUROC ½.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as runEvalCommand } from '../../../../src/cli/commands/eval';
import { run as runScoreCommand } from '../../../../src/cli/commands/score';
import { AGGREGATION_PRESETS } from '../../../../src/core/advantage/presets';
import { SWEEP_METRICS } from '../../../../src/core/scores';
import { ROOT, type CliResult } from './score-helpers';

const POLICY = join(ROOT, 'public/models/demo-policy');
const REFERENCE = join(ROOT, 'public/models/demo-reference');
const EXAMPLE = join(ROOT, 'test/corpus/scores/example.jsonl');
let work: string;
let episodes: string;

/**
 * A command run in this process (a child process costs seconds of start-up on a shared machine),
 * its standard output and error captured; `eval --sweep-merge` runs `score` in-process the same way.
 */
async function runCli([command, ...args]: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const status = await (command === 'eval' ? runEvalCommand : runScoreCommand)(args);
    return { status, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'eval-merge-'));
  episodes = join(work, 'episodes.jsonl');
  const lines = (await readFile(join(ROOT, 'public/examples/demo-episodes.jsonl'), 'utf8')).trim().split('\n').slice(0, 16);
  await writeFile(episodes, `${lines.join('\n')}\n`);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('eval --preset', () => {
  it('evaluates with the preset’s options, which options given as well override', async () => {
    const result = await runCli(['eval', '--json', '--preset', 'tau2-uq-retail-qwen3.5-9b', EXAMPLE]);
    expect(result.status).toBe(0);
    const json = JSON.parse(result.stdout) as { preset: string; options: Record<string, unknown> };
    expect(json.preset).toBe('tau2-uq-retail-qwen3.5-9b');
    expect(json.options).toEqual({ method: 'progress', tokenAgg: 'max', stepAgg: 'last', mode: 'per-model', beta: 1, k: 1, unscored: 'zero', groupBy: 'file-task' });
    const overridden = JSON.parse((await runCli(['eval', '--json', '--preset', 'tau2-uq-retail-qwen3.5-9b', '--unscored', 'skip', '--step-agg', 'min', EXAMPLE])).stdout) as { options: Record<string, unknown> };
    expect(overridden.options).toMatchObject({ tokenAgg: 'max', stepAgg: 'min', mode: 'per-model', unscored: 'skip' });
    const text = await runCli(['eval', '--preset', 'webshop-bon8-gemma4-4b', EXAMPLE]);
    expect(text.stdout.split('\n').slice(0, 2)).toEqual([
      'preset webshop-bon8-gemma4-4b: WebShop best-of-8, gemma4-4b (scripts/webshop_bon8.sh)',
      'progress advantage (per-model mode, β = 1); token → step: max; step → trajectory: min; k = 1; unscored steps: zero; groups: file-task',
    ]);
  }, 60_000);

  it('lists the presets, and refuses an unknown one naming the known', async () => {
    const list = await runCli(['eval', '--list-presets']);
    expect(list.status).toBe(0);
    expect(list.stdout.trim().split('\n').map((line) => line.split(':')[0])).toEqual(AGGREGATION_PRESETS.map((preset) => preset.id));
    const unknown = await runCli(['eval', '--preset', 'nope', EXAMPLE]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain(`eval: --preset: unknown preset 'nope' (known: ${AGGREGATION_PRESETS.map((preset) => preset.id).join(', ')})`);
  }, 60_000);
});

describe('eval --sweep-merge', () => {
  interface SweepJson {
    merge: { method: string; policy: string; reference: string };
    rows: { alpha: number; n: number; skipped: number; scoringFailed: boolean; values: Record<string, number | null> }[];
  }

  it('reports per α the metrics eval reports on score --reference-merge α', async () => {
    const sweep = await runCli(['eval', '--sweep-merge', '--json', '--policy', POLICY, '--reference', REFERENCE, '--render', 'chat', '--alphas', '0.3,1', episodes]);
    expect(sweep.status).toBe(0);
    const json = JSON.parse(sweep.stdout) as SweepJson;
    expect(json.merge).toMatchObject({ method: 'linear', policy: POLICY, reference: REFERENCE });
    expect(json.rows.map((row) => [row.alpha, row.n, row.scoringFailed])).toEqual([
      [0.3, 16, false],
      [1, 16, false],
    ]);
    // The same through the two commands.
    const out = join(work, 'alpha-0.3.jsonl');
    expect((await runCli(['score', '--policy', POLICY, '--reference', REFERENCE, '--render', 'chat', '--reference-merge', '0.3', '--quiet', '--out', out, episodes])).status).toBe(0);
    const report = JSON.parse((await runCli(['eval', '--json', out])).stdout) as {
      uq: { auroc: number; spearman: number };
      bestOfN: { successRate: number; meanReward: number };
      failureAttribution: { min_cumulative: { accuracy: number; within1: number; within2: number; mae: number } };
    };
    expect(json.rows[0].values).toEqual({
      auroc: report.uq.auroc,
      spearman: report.uq.spearman,
      bestofn: report.bestOfN.successRate,
      'bestofn-reward': report.bestOfN.meanReward,
      'fa-accuracy': report.failureAttribution.min_cumulative.accuracy,
      'fa-within1': report.failureAttribution.min_cumulative.within1,
      'fa-within2': report.failureAttribution.min_cumulative.within2,
      'fa-mae': report.failureAttribution.min_cumulative.mae,
      'agent-accuracy': null,
    });
    expect(Object.keys(json.rows[0].values)).toEqual([...SWEEP_METRICS]);
    expect(json.rows[0].values.auroc).not.toBe(0.5);
    // α = 1: every advantage is 0, every trajectory ties.
    expect(json.rows[1].values.auroc).toBe(0.5);
  }, 120_000);

  it('prints a table with one row per α (Figure 5’s 0.1 … 0.9 by default)', async () => {
    const sweep = await runCli(['eval', '--sweep-merge', '--policy', POLICY, '--reference', REFERENCE, '--render', 'chat', episodes]);
    expect(sweep.status).toBe(0);
    const lines = sweep.stdout.trim().split('\n');
    expect(lines[0]).toBe(`merged reference π_ref + α·(π_θ − π_ref) (linear, in weight space): policy ${POLICY}, reference ${REFERENCE}`);
    expect(lines[3].split(/\s+/)).toEqual(['α', 'n', 'auroc', 'spearman', 'bestofn', 'bestofn-reward', 'fa-accuracy', 'fa-within1', 'fa-within2', 'fa-mae']);
    expect(lines.slice(4, 13).map((line) => line.split(/\s+/).slice(0, 2))).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((alpha) => [String(alpha), '16']));
    expect(lines.at(-1)).toBe("not computable from the files' labels: agent-accuracy");
  }, 180_000);

  it('refuses what it cannot run, as usage errors', async () => {
    const cases: [string[], string][] = [
      [['--sweep-merge', '--reference', REFERENCE, episodes], 'eval: --sweep-merge needs --policy MODEL and --reference MODEL'],
      [['--policy', POLICY, EXAMPLE], 'eval: --policy only applies with --sweep-merge'],
      [['--sweep-merge', '--policy', POLICY, '--reference', REFERENCE, '--alphas', '0.1,2', episodes], "eval: --alphas: expected comma-separated numbers from 0 to 1, got '2' in '0.1,2'"],
      [['--sweep-merge', '--sweep', '--policy', POLICY, '--reference', REFERENCE, episodes], 'eval: --sweep and --sweep-merge are two studies'],
    ];
    const quantizedArgs = ['--sweep-merge', '--policy', POLICY, '--reference', REFERENCE, '--dtype', 'q4', '--alphas', '0.5', episodes];
    const results: CliResult[] = [];
    for (const args of [...cases.map(([args]) => args), quantizedArgs]) results.push(await runCli(['eval', ...args]));
    cases.forEach(([, message], index) => {
      expect(results[index].status).toBe(2);
      expect(results[index].stderr).toContain(message);
    });
    const quantized = results.at(-1)!;
    expect(quantized.status).toBe(1);
    expect(quantized.stderr).toMatch(/is quantized \(node \w+ "[^"]*" is a quantized operator\): quantized weights cannot be merged exactly/);
  }, 120_000);
});
