/**
 * How every command reads input and what reaches the terminal (issue 14, items 6 and 8), run as
 * users run the CLI: binary and non-UTF-8 files are refused by `inspect`, `score` and `eval` in
 * the same words; nothing from a file reaches standard output or error with a raw control
 * character; a JSON Lines file is read as a stream, never as one string.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAgentRecordsFile } from '../../../tools/generated';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../../..');
const BAD = 'test/corpus/bad';

function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 256 << 20,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Model folders that do not exist: `score` reads its files before it loads models, so the reading is what is tested. */
const NO_MODELS = ['--policy', '/nonexistent/policy', '--reference', '/nonexistent/reference'];

/** Control characters a terminal acts on (tab and line feed are layout). */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pa-cli-input-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('binary and non-UTF-8 input', () => {
  /** The corpus's own expected texts (test/corpus/bad/expected.json): the CLI says what the app says. */
  const expected = JSON.parse(readFileSync(path.join(ROOT, BAD, 'expected.json'), 'utf8')) as Record<string, { errors: { message: string }[] }>;
  const cases = ['escape-sequences.bin', 'binary.png', 'latin1.json', 'utf16.json', 'invalid-utf8-late.jsonl'].map((name) => {
    const [error] = expected[name].errors;
    expect(error.message).toContain('binary file');
    return [name, error.message] as const;
  });

  it.each(cases)('%s: inspect, score and eval refuse it with the same text and print none of its bytes', (name, message) => {
    const file = `${BAD}/${name}`;
    const text = `${BAD}/${message}`;
    const inspect = cli(['inspect', file]);
    expect(inspect.status).toBe(1);
    expect(inspect.stderr).toBe(`error: ${text}\n`);
    expect(inspect.stdout).toBe('0 trajectories in 1 file, 1 error\n');

    const evaluated = cli(['eval', file]);
    expect(evaluated.status).toBe(1);
    expect(evaluated.stderr).toBe(`eval: error: ${text}\n`);
    expect(evaluated.stdout).toBe('');

    const scored = cli(['score', ...NO_MODELS, file]);
    expect(scored.status).toBe(1);
    expect(scored.stderr.split('\n')[0]).toBe(`score: error: ${text}`);
    expect(scored.stdout).toBe('');

    for (const output of [inspect, evaluated, scored]) expect(output.stdout + output.stderr).not.toMatch(RAW_CONTROL);
  });

  it('a missing file: the same words in every command', () => {
    const missing = path.join(dir, 'no-such-file.jsonl');
    const text = `${missing}: cannot read the file: no such file`;
    expect(cli(['inspect', missing]).stderr).toBe(`error: ${text}\n`);
    expect(cli(['eval', missing]).stderr).toBe(`eval: error: ${text}\n`);
    expect(cli(['score', ...NO_MODELS, missing]).stderr.split('\n')[0]).toBe(`score: error: ${text}`);
    expect(cli(['eval', dir]).stderr).toBe(`eval: error: ${dir}: cannot read the file: is a directory, not a file\n`);
  });
});

describe('control characters from a file are escaped on the terminal', () => {
  const ESCAPED_ID = String.raw`run-\u001b[31mred\u001b[0m`;

  it('inspect: table and --json (which parses back to the file’s own id)', () => {
    const file = `${BAD}/terminal-escapes.jsonl`;
    const table = cli(['inspect', file]);
    expect(table.stdout + table.stderr).not.toMatch(RAW_CONTROL);
    expect(table.stdout).toContain(ESCAPED_ID);
    expect(table.stderr).toContain('terminal-escapes.jsonl:2:13: invalid JSON: unexpected character U+001B inside a string');

    const json = cli(['inspect', '--json', file]);
    expect(json.stdout + json.stderr).not.toMatch(RAW_CONTROL);
    const [row] = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: string });
    expect(row.id).toBe('run-\u001b[31mred\u001b[0m');
  });

  it('eval: a skipped line starting with a raw escape (named as U+001B, never printed), ids with C1 controls and bidi overrides, in text and --json', () => {
    const file = path.join(dir, 'escapes.scores.jsonl');
    const record = (id: string) => JSON.stringify({ id, reward: 1, steps: [{ message: 1, policy: [-1, -2], reference: [-1.5, -1] }] });
    writeFileSync(
      file,
      [
        record('good-\u001b]0;title\u0007'),
        record('csi-\u009b2J-\u202eevil'),
        '\u001b[2J\u001b[H{"not": "json"',
        JSON.stringify({ id: 'no-steps-\u001b[5m' }),
      ].join('\n'),
    );
    const text = cli(['eval', file]);
    expect(text.status).toBe(0);
    expect(text.stdout + text.stderr).not.toMatch(RAW_CONTROL);
    expect(text.stderr).toContain(String.raw`no-steps-\u001b[5m`);
    expect(text.stderr).toContain('escapes.scores.jsonl:3: skipped: not valid JSON: column 1: unexpected character U+001B: expected a value');

    const json = cli(['eval', '--json', file]);
    expect(json.status).toBe(0);
    expect(json.stdout + json.stderr).not.toMatch(RAW_CONTROL);
    // The escapes are JSON's own: the report parses back to the file's ids and text.
    const report = JSON.parse(json.stdout) as { skipped: { id: string | null; reason: string }[] };
    expect(report.skipped.map((s) => s.id)).toEqual([null, 'no-steps-\u001b[5m']);
    expect(report.skipped[0].reason).toMatch(/^not valid JSON: column 1: unexpected character U\+001B: /);
  });

  it('score: errors and progress lines', () => {
    const { stdout, stderr } = cli(['score', ...NO_MODELS, `${BAD}/terminal-escapes.jsonl`]);
    expect(stdout + stderr).not.toMatch(RAW_CONTROL);
    expect(stderr).toContain('score: error: test/corpus/bad/terminal-escapes.jsonl:2:13: invalid JSON: unexpected character U+001B');
  });
});

describe('JSON Lines are read as a stream', () => {
  it('inspect --json reads a 150 MB file in a 64 MB JavaScript heap (the file as one string would not fit)', async () => {
    const file = path.join(dir, 'large.jsonl');
    const records = await writeAgentRecordsFile(file, 150 * 1024 * 1024);
    const { status, stdout, stderr } = cli(['inspect', '--json', file], { NODE_OPTIONS: '--max-old-space-size=64' });
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(records);
    expect(JSON.parse(lines[records - 1])).toMatchObject({ index: records - 1, id: `run-${records - 1}` });
  }, 120_000);
});
