/**
 * `inspect` and `score` read Inspect `.eval` logs, `.zip` / `.tar.gz` archives and folders
 * (src/cli/input.ts → core/trajectory/archive), as the app does. Counts come from the raw files
 * (raw-archives.ts: the ZIP's central directory through node:zlib), not from the readers under test.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readTrajectoryFile } from '../../../src/cli/input';
import { writeAgentRecordsFile } from '../../../tools/generated';
import { evalArchiveCounts, gnuTar, inspectSampleCounts, type SampleCounts } from '../core/trajectory/archive/raw-archives';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../../..');
const INSPECT = '/work/shared/fixtures/trajectories/inspect_ai';
const EVALS = ['log_formats.eval', 'log_message_deduplication.eval'];
const JSON_LOG = 'log_tool_call_error.json';

function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 << 20, env: { ...process.env, ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Row {
  file: string;
  id: string;
  format: string;
  messages: number;
  actionSteps: number[];
  success: boolean | null;
  toolCalls: number;
}

const rowsOf = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Row & { error?: string });
const countsOf = (row: Row): SampleCounts => ({ id: row.id, messages: row.messages, actionSteps: row.actionSteps.length, toolCalls: row.toolCalls, success: row.success ?? undefined });

/** Every sample's counts, from the raw files: the two .eval archives and the .json log. */
function rawCounts(): Record<string, SampleCounts[]> {
  const json = JSON.parse(readFileSync(`${INSPECT}/${JSON_LOG}`, 'utf8')) as { samples: Record<string, unknown>[] };
  return {
    [EVALS[0]]: evalArchiveCounts(readFileSync(`${INSPECT}/${EVALS[0]}`)),
    [EVALS[1]]: evalArchiveCounts(readFileSync(`${INSPECT}/${EVALS[1]}`)),
    [JSON_LOG]: json.samples.map(inspectSampleCounts),
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pa-cli-archives-'));
  mkdirSync(path.join(dir, 'logs/nested'), { recursive: true });
  copyFileSync(`${INSPECT}/${EVALS[0]}`, path.join(dir, 'logs', EVALS[0]));
  copyFileSync(`${INSPECT}/${EVALS[1]}`, path.join(dir, 'logs/nested', EVALS[1]));
  copyFileSync(`${INSPECT}/${JSON_LOG}`, path.join(dir, 'logs', JSON_LOG));
  writeFileSync(path.join(dir, 'logs/README.md'), '# not a trajectory');
  writeFileSync(path.join(dir, 'logs/nested/broken.json'), '{"messages": [');
  const entries = Object.fromEntries([...EVALS, JSON_LOG].map((name) => [`inspect/${name}`, readFileSync(`${INSPECT}/${name}`)]));
  writeFileSync(path.join(dir, 'logs.zip'), zipSync(entries));
  writeFileSync(path.join(dir, 'logs.tar.gz'), gnuTar(entries, { gzip: true }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('inspect', () => {
  it('each Inspect log alone: .eval and .json, with the counts of their raw samples', () => {
    const raw = rawCounts();
    const files = [...EVALS, JSON_LOG].map((name) => `${INSPECT}/${name}`);
    const { status, stdout, stderr } = cli(['inspect', '--json', ...files]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const rows = rowsOf(stdout);
    expect(rows.map((r) => r.format)).toEqual(['inspect-ai', 'inspect-ai', 'inspect-ai']);
    expect(rows.map(countsOf)).toEqual([...raw[EVALS[0]], ...raw[EVALS[1]], ...raw[JSON_LOG]]);
    expect(rows.map((r) => r.file)).toEqual(files);
  });

  it('a folder, recursively: trajectory files in path order, ids with their path; a README left out, a broken file listed', () => {
    const raw = rawCounts();
    const folder = path.join(dir, 'logs');
    const { status, stdout } = cli(['inspect', '--json', folder]);
    expect(status).toBe(1);
    const rows = rowsOf(stdout);
    const withPath = (prefix: string, counts: SampleCounts[]) => counts.map((c) => ({ ...c, id: `${prefix}:${c.id}` }));
    expect(rows.filter((r) => !r.error).map(countsOf)).toEqual([
      ...withPath(EVALS[0], raw[EVALS[0]]),
      ...withPath(JSON_LOG, raw[JSON_LOG]),
      ...withPath(`nested/${EVALS[1]}`, raw[EVALS[1]]),
    ]);
    const broken = path.join(folder, 'nested/broken.json');
    expect(rows.filter((r) => r.error)).toEqual([{ file: folder, error: `${broken}:1:15: invalid JSON: unexpected end of input: expected a value (object, array, string, number, true, false or null)` }]);
  });

  it('the table says what it read: a folder and a file', () => {
    const folder = path.join(dir, 'logs');
    const { stdout } = cli(['inspect', folder, `${INSPECT}/${JSON_LOG}`]);
    const total = rawCounts()[EVALS[0]].length + rawCounts()[EVALS[1]].length + 2 * rawCounts()[JSON_LOG].length;
    expect(stdout.trim().split('\n').at(-1)).toBe(`${total} trajectories in 1 file and 1 folder, 1 error`);
  });

  it.each(['logs.zip', 'logs.tar.gz'])('%s: read like the folder it packs', (name) => {
    const raw = rawCounts();
    const archive = path.join(dir, name);
    const { status, stdout, stderr } = cli(['inspect', '--json', archive]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const withPath = (file: string) => raw[file].map((c) => ({ ...c, id: `inspect/${file}:${c.id}` }));
    expect(rowsOf(stdout).map(countsOf)).toEqual([...withPath(EVALS[0]), ...withPath(EVALS[1]), ...withPath(JSON_LOG)]);
  });
});

describe('folders without trajectory files', () => {
  it('an empty folder, or one with only a README, is an error naming it', async () => {
    const empty = path.join(dir, 'empty');
    mkdirSync(path.join(empty, 'docs'), { recursive: true });
    writeFileSync(path.join(empty, 'docs/README.md'), '# notes');
    expect(await readTrajectoryFile(empty)).toEqual({
      trajectories: [],
      errors: [{ file: empty, message: `${empty}: the folder holds no trajectory files (.json, .jsonl, .traj, .eval or archives)` }],
    });
  });
});

describe('score', () => {
  it('reads folders and archives before it loads models: the same trajectories per input', () => {
    const folder = path.join(dir, 'logs');
    const zip = path.join(dir, 'logs.zip');
    const { stderr } = cli(['score', '--policy', '/nonexistent/policy', '--reference', '/nonexistent/reference', folder, zip]);
    expect(stderr).toContain(`${folder}: 3 trajectories, 1 error`);
    expect(stderr).toContain(`${zip}: 3 trajectories`);
    expect(stderr).toContain(`error: ${path.join(folder, 'nested/broken.json')}:1:15: invalid JSON`);
  });
});

describe('archives are read as streams', () => {
  it('inspect --json reads a 150 MB JSON Lines file zipped, in a 64 MB JavaScript heap (neither the archive nor the file is held)', async () => {
    const big = path.join(dir, 'big');
    mkdirSync(big);
    const records = await writeAgentRecordsFile(path.join(big, 'large.jsonl'), 150 * 1024 * 1024);
    execFileSync('zip', ['-q', '-1', 'large.zip', 'large.jsonl'], { cwd: big });
    rmSync(path.join(big, 'large.jsonl'));
    const { status, stdout, stderr } = cli(['inspect', '--json', path.join(big, 'large.zip')], { NODE_OPTIONS: '--max-old-space-size=64' });
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(records);
    expect(JSON.parse(lines[records - 1])).toMatchObject({ index: records - 1, id: `large.jsonl:run-${records - 1}` });
  }, 180_000);
});
