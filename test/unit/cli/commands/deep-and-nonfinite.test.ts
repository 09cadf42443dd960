/**
 * Every command on deeply nested input and on Python's NaN / Infinity literals, run as users run
 * them (child processes): the nesting bound (src/core/trajectory/json-depth.ts) gives one error
 * naming the file and the JSON path and later files are still read and reported (issue 14, item 5);
 * an Inspect AI log written by Python's json loads (item 9).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScoreJsonl } from '../../../../src/core/scores/format';
import { MAX_JSON_DEPTH } from '../../../../src/core/trajectory/json-depth';
import { chatRecordOfDepth, deepObjectText } from '../../core/trajectory/deep-json';
import { runCli, writeModelFolder, type CliResult } from './score-helpers';

const BAD = 'test/corpus/bad';
const DEEP = `${BAD}/deep-tool-arguments.json`;
const DEEP_STRING = `${BAD}/deep-arguments-string.jsonl`;
const INSPECT_NAN = `${BAD}/inspect-nan-infinity.json`;
const GOOD = 'test/corpus/good/openai-chat-tools.json';

const DEEP_ERROR =
  'test/corpus/bad/deep-tool-arguments.json: OpenAI chat messages: at messages[1].tool_calls[0].function.arguments.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a…: expected JSON nested at most 256 levels deep, found 5,006 levels';
const DEEP_STRING_ERROR =
  'test/corpus/bad/deep-arguments-string.jsonl:2: OpenAI chat messages: at messages[1].tool_calls[0].function.arguments, inside the string at a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a…: expected JSON nested at most 256 levels deep, found 5,000 levels';
const NAN_LOGPROB_ERROR =
  'test/corpus/bad/inspect-nan-infinity.json: Inspect AI eval log: at samples[2].output.choices[0].logprobs.content[0].logprob: expected a log-probability (a finite number, -Infinity or null), found the number NaN';
const NAN_REWARD_NOTICE =
  'test/corpus/bad/inspect-nan-infinity.json: Inspect AI eval log: at samples[1].scores.model_graded.value: expected a reward (a finite number) or null, found the number NaN; the trajectory is loaded without this label';

let work: string;
const files = { atBound: '', pastBound: '', deepScores: '' };
const runs = {} as Record<'table' | 'json' | 'bound' | 'nan' | 'evalDeep' | 'score' | 'precomputed', CliResult>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'deep-cli-'));
  files.atBound = join(work, 'at-bound.json');
  files.pastBound = join(work, 'past-bound.json');
  files.deepScores = join(work, 'deep-scores.jsonl');
  await writeFile(files.atBound, chatRecordOfDepth(MAX_JSON_DEPTH, 'at-bound'));
  await writeFile(files.pastBound, chatRecordOfDepth(MAX_JSON_DEPTH + 1, 'past-bound'));
  // A score file (our own format: strict JSON) with a 5,000-deep value in a field eval does not read, and one where it reads steps.
  const example = (await readFile(resolve('test/corpus/scores/example.jsonl'), 'utf8')).trim().split('\n');
  await writeFile(
    files.deepScores,
    [example[0].replace(/^\{/, `{"extra":${deepObjectText(5000)},`), example[1].replace('"steps":', `"steps":${'['.repeat(5000)}${']'.repeat(5000)},"was":`), ...example.slice(2)].join('\n') + '\n',
  );
  const vocabulary = ['user', 'assistant', 'tool', 'Look', 'it', 'up', 'found', 'What', 'is', '2', '3', '5', '+', '?', '.'];
  const spec = { vocabulary, contextLength: 512, embeddingDim: 8, headCount: 2 };
  const policy = await writeModelFolder(work, { ...spec, name: 'policy', seed: 1 });
  const reference = await writeModelFolder(work, { ...spec, name: 'reference', seed: 2 });

  const inspect = (...args: string[]) => runCli(['inspect', ...args]);
  [runs.table, runs.json, runs.bound, runs.nan, runs.evalDeep, runs.score, runs.precomputed] = await Promise.all([
    inspect(DEEP, DEEP_STRING, GOOD),
    inspect('--json', DEEP, DEEP_STRING, GOOD),
    inspect('--json', files.pastBound, files.atBound),
    inspect('--json', INSPECT_NAN),
    runCli(['eval', '--json', files.deepScores]),
    runCli(['score', '--policy', policy, '--reference', reference, '--quiet', DEEP, files.pastBound, files.atBound, INSPECT_NAN]),
    runCli(['score', '--precomputed', '--reference', reference, '--quiet', INSPECT_NAN]),
  ]);
}, 240_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('inspect on tool arguments nested 5,000 deep', () => {
  it('gives one error per deep record naming the file and the JSON path, and lists every later file', () => {
    const { status, stdout, stderr } = runs.table;
    expect(status).toBe(1);
    expect(stderr).toBe(`error: ${DEEP_ERROR}\nerror: ${DEEP_STRING_ERROR}\n`);
    const rows = stdout.trim().split('\n');
    expect(rows.at(-1)).toBe('3 trajectories in 3 files, 2 errors');
    expect(rows.slice(1, -1).map((row) => row.split(/\s+/).slice(0, 4))).toEqual([
      [DEEP_STRING, '0', 'openai-chat', 'before'],
      [DEEP_STRING, '1', 'openai-chat', 'after'],
      [GOOD, '0', 'openai-chat', '0'],
    ]);
  });

  it('--json: the same errors as {file, error} lines, in file order', () => {
    const { status, stdout } = runs.json;
    expect(status).toBe(1);
    expect(jsonLines(stdout).map((line) => line.error ?? `${String(line.file)}#${String(line.index)}`)).toEqual([
      DEEP_ERROR,
      `${DEEP_STRING}#0`,
      `${DEEP_STRING}#1`,
      DEEP_STRING_ERROR,
      `${GOOD}#0`,
    ]);
  });

  it('reads a record nesting exactly 256 levels and refuses one level more', () => {
    const lines = jsonLines(runs.bound.stdout);
    expect(runs.bound.status).toBe(1);
    expect(lines).toHaveLength(2);
    expect(lines[0].error).toMatch(/past-bound\.json: OpenAI chat messages: at messages\[1\]\.tool_calls\[0\]\.function\.arguments\.a\.a.*…: expected JSON nested at most 256 levels deep, found 257 levels$/);
    expect(lines[1]).toMatchObject({ file: files.atBound, index: 0, id: 'at-bound', messages: 3, actionSteps: [1] });
  });
});

describe('inspect on an Inspect AI log with NaN / Infinity / -Infinity (written by Python)', () => {
  it('lists its samples, drops the NaN reward with a notice and refuses the sample with a NaN log-prob', () => {
    const { status, stdout, stderr } = runs.nan;
    expect(stderr).toBe('');
    expect(status).toBe(1);
    const lines = jsonLines(stdout);
    expect(lines.filter((line) => 'id' in line).map((line) => [line.id, line.messages, line.reward])).toEqual([
      ['1#4', 11, null],
      ['lp#1', 2, null],
    ]);
    expect(lines.filter((line) => !('id' in line))).toEqual([
      { file: INSPECT_NAN, error: NAN_LOGPROB_ERROR },
      { file: INSPECT_NAN, notice: NAN_REWARD_NOTICE },
    ]);
  });
});

describe('eval on a score file with 5,000-deep values', () => {
  it('reads every record: a deep field it does not use is ignored, a deep one it does is a skipped record with its reason', () => {
    const { status, stdout, stderr } = runs.evalDeep;
    expect(status).toBe(0);
    expect(stderr).toBe('eval: 1 trajectory skipped (listed under "skipped")\n');
    const report = JSON.parse(stdout) as { perTrajectory: { id: string }[]; skipped: unknown[] };
    expect(report.perTrajectory.map((t) => t.id)).toEqual(['t1-a', 't2-c', 't2-d', 'solo-e']);
    expect(report.skipped).toEqual([{ line: 2, id: 't1-b', reason: 'steps[0]: expected an object, got an array' }]);
  });
});

describe('score', () => {
  it('scores the record at the bound and the Inspect samples, reports the deep files and the NaN log-prob, and exits 1', () => {
    const { status, stdout, stderr } = runs.score;
    expect(status).toBe(1);
    expect(stderr).toContain(`error: ${DEEP_ERROR}\n`);
    expect(stderr).toMatch(/error: .*past-bound\.json: OpenAI chat messages: at messages\[1\]\.tool_calls\[0\]\.function\.arguments\.a\.a.*…: expected JSON nested at most 256 levels deep, found 257 levels\n/);
    expect(stderr).toContain(`error: ${NAN_LOGPROB_ERROR}\n`);
    expect(stderr).toContain(`notice: ${NAN_REWARD_NOTICE}\n`);
    const parsed = parseScoreJsonl(stdout, 'scores.jsonl');
    expect(parsed.errors).toEqual([]);
    expect(parsed.records.map((entry) => [entry.record.id, entry.record.steps.map((step) => step.message)])).toEqual([
      ['at-bound', [1]],
      ['1#4', []],
      ['lp#1', [1]],
    ]);
  });

  it('--precomputed: a step whose log-probs hold -Infinity (probability 0) is not scored, with the reason; the others are', () => {
    const { status, stdout, stderr } = runs.precomputed;
    expect(status).toBe(1);
    expect(stderr).toContain(`score: error: ${NAN_LOGPROB_ERROR}\n`);
    expect(stderr).toMatch(/not scored: .*message 1 \(no-precomputed-logprobs, policy\)/);
    const records = parseScoreJsonl(stdout, 'precomputed.jsonl').records.map((entry) => entry.record);
    expect(records.map((record) => record.id)).toEqual(['1#4', 'lp#1']);
    expect(records[1].steps).toEqual([expect.objectContaining({ message: 1, policy: [], reference: [] })]);
    expect(records[1].notScored).toEqual([
      { message: 1, reason: 'no-precomputed-logprobs', side: 'policy', detail: 'the policy source holds no usable log-probs for message 1 (none, or a token at -Infinity)' },
    ]);
  });
});
