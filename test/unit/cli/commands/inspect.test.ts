/** `inspect` run as users run it: a child process through tsx and the CLI dispatcher. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../../../..');
const FIXTURES = path.resolve(ROOT, '../shared/fixtures/trajectories');
const TAU2 = path.join(FIXTURES, 'tau2_bench/airline_grok-3_4tasks_x4trials.json');
const WHO = path.join(FIXTURES, 'who_and_when/Hand-Crafted/4.json');
const BAD = 'test/corpus/bad/mixed-lines.jsonl';

function inspect(...args: string[]) {
  const result = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'src/cli/main.ts', 'inspect', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('inspect --json', () => {
  it('prints one line per trajectory with the documented fields', () => {
    const { status, stdout } = inspect('--json', TAU2, WHO);
    expect(status).toBe(0);
    const rows = jsonLines(stdout);
    expect(rows).toHaveLength(17);

    const simulations = (JSON.parse(readFileSync(TAU2, 'utf8')) as { simulations: { id: string; task_id: string; reward_info: { reward: number }; messages: { role: string }[] }[] }).simulations;
    rows.slice(0, 16).forEach((row, i) => {
      const sim = simulations[i];
      expect(Object.keys(row)).toEqual(['file', 'index', 'format', 'id', 'taskId', 'messages', 'actionSteps', 'reward', 'success', 'mistakeStep', 'mistakeAgent', 'toolCalls']);
      expect(row).toEqual({
        file: TAU2,
        index: i,
        format: 'tau2-bench',
        id: sim.id,
        taskId: sim.task_id,
        messages: sim.messages.length,
        actionSteps: sim.messages.flatMap((m, k) => (m.role === 'assistant' ? [k] : [])),
        reward: sim.reward_info.reward,
        success: sim.reward_info.reward >= 1,
        mistakeStep: null,
        mistakeAgent: null,
        toolCalls: sim.messages.reduce((n, m) => n + ((m as { tool_calls?: unknown[] | null }).tool_calls?.length ?? 0), 0),
      });
    });

    const log = JSON.parse(readFileSync(WHO, 'utf8')) as { question_ID: string; history: unknown[]; mistake_step: string; mistake_agent: string };
    expect(rows[16]).toMatchObject({
      file: WHO,
      index: 0,
      format: 'who-and-when',
      id: log.question_ID,
      messages: log.history.length,
      reward: null,
      // Hand-Crafted logs carry `is_corrected: false` (their spelling of is_correct): a failure.
      success: false,
      mistakeStep: Number(log.mistake_step),
      mistakeAgent: log.mistake_agent,
    });
  });

  it('still prints the good records of a partly broken file, then its errors, and exits 1', () => {
    const { status, stdout } = inspect('--json', BAD, WHO);
    expect(status).toBe(1);
    const rows = jsonLines(stdout);
    const expected = JSON.parse(readFileSync(path.join(ROOT, 'test/corpus/bad/expected.json'), 'utf8')) as Record<string, { trajectories: string[]; errors: { message: string }[] }>;
    const own = expected['mixed-lines.jsonl'];
    expect(rows.filter((r) => r.file === BAD && 'id' in r).map((r) => r.id)).toEqual(own.trajectories);
    // The CLI names the file as given on the command line; the corpus was read under its bare name.
    expect(rows.filter((r) => 'error' in r)).toEqual(own.errors.map((e) => ({ file: BAD, error: e.message.replace(/^mixed-lines\.jsonl/, BAD) })));
    expect(rows.at(-1)).toMatchObject({ file: WHO, format: 'who-and-when' });
  });

  it('reports a missing file and goes on', () => {
    const { status, stdout } = inspect('--json', 'no/such/file.json', WHO);
    expect(status).toBe(1);
    const rows = jsonLines(stdout);
    expect(rows[0]).toEqual({ file: 'no/such/file.json', error: 'no/such/file.json: cannot read the file: no such file' });
    expect(rows[1]).toMatchObject({ file: WHO });
  });
});

describe('inspect table and usage', () => {
  it('prints an aligned table and errors on stderr', () => {
    const { status, stdout, stderr } = inspect(WHO, 'test/corpus/bad/empty.json');
    expect(status).toBe(1);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^FILE\s+#\s+FORMAT\s+ID\s+TASK\s+MSGS\s+STEPS\s+REWARD\s+SUCCESS\s+MISTAKE@\s+MISTAKE AGENT$/);
    expect(lines[1]).toContain('who-and-when');
    expect(lines[1].indexOf('who-and-when')).toBe(lines[0].indexOf('FORMAT'));
    expect(lines[2]).toBe('1 trajectory in 2 files, 1 error');
    expect(stderr).toBe('error: test/corpus/bad/empty.json: empty file\n');
  });

  it('reports each dropped label on stderr with its file and place, lists the trajectory without it, and exits 0 (issue 14, item 11)', () => {
    const file = 'test/corpus/bad/labels-unreadable.jsonl';
    const { status, stdout, stderr } = inspect(file);
    expect(status).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('5 trajectories in 1 file, 4 labels dropped');
    const expected = JSON.parse(readFileSync(path.join(ROOT, 'test/corpus/bad/expected.json'), 'utf8')) as Record<string, { errors: { message: string }[] }>;
    const notices = expected['labels-unreadable.jsonl'].errors.map((e) => `notice: ${e.message.replace(/^labels-unreadable\.jsonl/, file)}`);
    expect(notices).toHaveLength(4);
    expect(stderr).toBe(`${notices.join('\n')}\n`);
    // "reward": "1" is not read as 1: the row shows no reward and no success.
    expect(lines[1]).toMatch(/string-reward\s+-\s+2\s+1\s+-\s+-\s+-\s+-$/);

    const json = inspect('--json', file);
    expect(json.status).toBe(0);
    const rows = jsonLines(json.stdout);
    expect(rows.filter((r) => 'id' in r).map((r) => [r.id, r.reward, r.mistakeStep])).toEqual([
      ['string-reward', null, null],
      ['huge-reward', null, null],
      ['negative-step', 1, null],
      ['fractional-step', 0, null],
      ['readable', 0, 1],
    ]);
    expect(rows.filter((r) => 'notice' in r).map((r) => `notice: ${String(r.notice)}`)).toEqual(notices);
  });

  it('--help exits 0; no files or an unknown option exit 2', () => {
    const help = inspect('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: progress-advantage inspect [--json] FILE|FOLDER…');
    expect(inspect().status).toBe(2);
    const unknown = inspect('--jsn', WHO);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--jsn'");
  });
});
