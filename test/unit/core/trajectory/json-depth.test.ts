/**
 * The nesting bound (src/core/trajectory/json-depth.ts) on its own and through the ingestion every
 * reader shares: a value at MAX_JSON_DEPTH loads, one level more is refused with the file, the
 * record and the JSON path, and only the record that nests too deeply is lost.
 */
import { describe, expect, it } from 'vitest';
import { parseToolArguments } from '../../../../src/core/trajectory/formats/messages';
import {
  DepthCheck,
  findTooDeep,
  MAX_JSON_DEPTH,
  nestsDeeperThan,
  requireJsonTextDepth,
  shownPath,
} from '../../../../src/core/trajectory/json-depth';
import { parseTrajectoryText } from '../../../../src/core/trajectory/ingest';
import { chatRecordOfDepth, chatRecordText, chatRecordWithArgumentString, deepObject, deepObjectText, depthOf } from './deep-json';

const N = MAX_JSON_DEPTH;

/** What the error for a chat record's too-deep arguments says after its path. */
const tooDeepText = (levels: number) => `expected JSON nested at most 256 levels deep, found ${levels.toLocaleString('en-US')} levels`;

describe('the bound', () => {
  it('is 256 levels, the outermost object or array being level 1', () => {
    expect(N).toBe(256);
    expect(nestsDeeperThan(1, 0)).toBe(false);
    expect(nestsDeeperThan('deep', 0)).toBe(false);
    expect(nestsDeeperThan({}, 1)).toBe(false);
    expect(nestsDeeperThan({}, 0)).toBe(true);
    expect(nestsDeeperThan([[]], 1)).toBe(true);
    expect(nestsDeeperThan([[]], 2)).toBe(false);
    expect(nestsDeeperThan({ a: [{ b: [] }] }, 4)).toBe(false);
    expect(nestsDeeperThan({ a: [{ b: [] }] }, 3)).toBe(true);
  });

  it('counts the deepest branch, not the width', () => {
    const wide = { a: Array.from({ length: 1000 }, () => ({ b: [1, 2, 3] })), c: deepObject(N - 1) };
    expect(depthOf(wide)).toBe(N);
    expect(nestsDeeperThan(wide, N)).toBe(false);
    expect(nestsDeeperThan({ ...wide, d: deepObject(N) }, N)).toBe(true);
  });

  it('walks any depth without recursion', () => {
    const veryDeep = deepObject(1_000_000);
    expect(nestsDeeperThan(veryDeep, N)).toBe(true);
    expect(findTooDeep(veryDeep)).toEqual({ path: Array<string>(N).fill('a'), levels: 1_000_000 });
  });

  it('finds the first place past the bound in document order, with the deepest level under the value', () => {
    const value = { ok: [deepObject(N - 2)], bad: [{ x: deepObject(N) }], worse: deepObject(N + 40) };
    const found = findTooDeep(value)!;
    expect(found.path.slice(0, 4)).toEqual(['bad', 0, 'x', 'a']);
    expect(found.path).toHaveLength(N);
    expect(found.levels).toBe(N + 41);
    expect(findTooDeep({ ok: [deepObject(N - 2)] })).toBeNull();
    expect(findTooDeep({ ok: [deepObject(N - 1)] })?.levels).toBe(N + 1);
  });

  it('shows a path as the adapters write it, cut after 100 characters', () => {
    expect(shownPath('', ['messages', 2, 'tool_calls', 0, 'function', 'arguments'])).toBe('messages[2].tool_calls[0].function.arguments');
    expect(shownPath('samples[3]', ['odd key', 'a'])).toBe('samples[3]["odd key"].a');
    const long = shownPath('messages[1]', Array<string>(300).fill('a'));
    expect(long.endsWith('…')).toBe(true);
    expect(long.length).toBeLessThan(110);
    expect(long.startsWith('messages[1].a.a.a')).toBe(true);
  });

  it('refuses a JSON string that nests too deeply, naming the string and the place inside it', () => {
    expect(() => requireJsonTextDepth(deepObject(N), 'args')).not.toThrow();
    expect(() => requireJsonTextDepth(deepObject(N + 1), 'messages[1].arguments')).toThrow(
      `at messages[1].arguments, inside the string at ${shownPath('', Array<string>(N).fill('a'))}: ${tooDeepText(N + 1)}`,
    );
  });

  it('refuses deep argument strings and never stringifies a deep array', () => {
    expect(parseToolArguments(deepObjectText(N), 'args').arguments).toEqual(deepObject(N));
    expect(() => parseToolArguments(deepObjectText(N + 1), 'f.arguments')).toThrow(/^at f\.arguments, inside the string at a\.a\.a.*: expected JSON nested at most 256 levels deep, found 257 levels$/);
    let array: unknown = [];
    for (let i = 1; i < 5000; i++) array = [array];
    expect(() => parseToolArguments(array, 'f.arguments')).toThrow(/^at f\.arguments\[0\]\[0\]\[0\].*: expected JSON nested at most 256 levels deep, found 5,000 levels$/);
  });
});

describe('DepthCheck: records that nest too deeply, and the rest', () => {
  it('is null for a value within the bound', () => {
    expect(DepthCheck.of({ records: [deepObject(N - 2)] })).toBeNull();
    expect(DepthCheck.of('text')).toBeNull();
  });

  it('names only the records that nest too deeply, then whether anything outside them does', () => {
    const good = { messages: [] };
    const deep = { messages: [deepObject(N)] };
    const value = { records: [good, deep, good] };
    const check = DepthCheck.of(value)!;
    expect(check.recordProblem(good)).toBeNull();
    // root, records, record, messages: the deep object starts at level 5.
    expect(check.recordProblem(deep)?.message).toBe(`at ${shownPath('records[1].messages[0]', Array<string>(N - 4).fill('a'))}: ${tooDeepText(N + 4)}`);
    expect(check.remainingProblem()).toBeNull();

    const header = { header: deepObject(N), records: [good, deep] };
    const both = DepthCheck.of(header)!;
    expect(both.recordProblem(deep)).not.toBeNull();
    expect(both.remainingProblem()?.message).toBe(`at ${shownPath('header', Array<string>(N - 1).fill('a'))}: ${tooDeepText(N + 1)}`);
  });
});

describe('through the ingestion (every path: CLI, worker)', () => {
  it('loads a record nesting exactly 256 levels and refuses 257 with the path', () => {
    expect(depthOf(JSON.parse(chatRecordOfDepth(N)))).toBe(N);
    const atBound = parseTrajectoryText('at-bound.json', chatRecordOfDepth(N));
    expect(atBound.errors).toEqual([]);
    expect(atBound.trajectories.map((t) => t.id)).toEqual(['deep']);
    expect(depthOf(atBound.trajectories[0].messages[1].toolCalls![0].arguments)).toBe(N - 6);

    const past = parseTrajectoryText('past.json', chatRecordOfDepth(N + 1));
    expect(past.trajectories).toEqual([]);
    expect(past.errors).toEqual([
      {
        file: 'past.json',
        message: `past.json: OpenAI chat messages: at ${shownPath('messages[1].tool_calls[0].function.arguments', Array<string>(N - 6).fill('a'))}: ${tooDeepText(N + 1)}`,
      },
    ]);
  });

  it('refuses 5,000 levels the same way, and the other records of a JSON array still load', () => {
    const text = `[${chatRecordText('{"x":1}', 'first')},${chatRecordText(deepObjectText(5000), 'deep')},${chatRecordText('{"y":2}', 'last')}]`;
    const result = parseTrajectoryText('deep-array.json', text);
    expect(result.trajectories.map((t) => t.id)).toEqual(['first', 'last']);
    expect(result.errors).toEqual([
      {
        file: 'deep-array.json',
        record: 1,
        message: `deep-array.json: OpenAI chat messages: at ${shownPath('[1].messages[1].tool_calls[0].function.arguments', Array<string>(N - 7).fill('a'))}: ${tooDeepText(5007)}`,
      },
    ]);
  });

  it('refuses a JSON Lines line, naming its line; the lines around it load', () => {
    const text = [chatRecordText('{"x":1}', 'one'), chatRecordOfDepth(N + 1, 'two'), chatRecordOfDepth(N, 'three')].join('\n');
    const result = parseTrajectoryText('deep.jsonl', text);
    expect(result.trajectories.map((t) => t.id)).toEqual(['one', 'three']);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ file: 'deep.jsonl', line: 2, record: 1 });
    expect(result.errors[0].message).toMatch(/^deep\.jsonl:2: OpenAI chat messages: at messages\[1\]\.tool_calls\[0\]\.function\.arguments\.a\.a.*…: expected JSON nested at most 256 levels deep, found 257 levels$/);
  });

  it('refuses an argument string whose JSON nests past the bound (counted from the string)', () => {
    expect(parseTrajectoryText('s.json', chatRecordWithArgumentString(N)).errors).toEqual([]);
    const past = parseTrajectoryText('s.json', chatRecordWithArgumentString(N + 1));
    expect(past.trajectories).toEqual([]);
    expect(past.errors.map((e) => e.message)).toEqual([
      `s.json: OpenAI chat messages: at messages[1].tool_calls[0].function.arguments, inside the string at ${shownPath('', Array<string>(N).fill('a'))}: ${tooDeepText(N + 1)}`,
    ]);
  });

  it('Inspect AI: a sample that nests too deeply is refused, the other samples load; a deep header refuses the log', () => {
    const sample = (id: string, args: string) =>
      `{"id":"${id}","epoch":1,"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"","tool_calls":[{"id":"c","function":"f","arguments":${args}}]}]}`;
    const log = (header: string, samples: string[]) => `{"version":2,"status":"success","eval":{"task":"t","model":"m","config":${header}},"samples":[${samples.join(',')}]}`;
    const result = parseTrajectoryText('log.json', log('{}', [sample('a', '{}'), sample('b', deepObjectText(300)), sample('c', '{}')]));
    expect(result.trajectories.map((t) => t.id)).toEqual(['a#1', 'c#1']);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ file: 'log.json', record: 1 });
    // log, samples, sample, messages, message, tool_calls, call: the arguments object is level 8.
    expect(result.errors[0].message).toBe(
      `log.json: Inspect AI eval log: at ${shownPath('samples[1].messages[1].tool_calls[0].arguments', Array<string>(N - 8).fill('a'))}: ${tooDeepText(307)}`,
    );

    const deepHeader = parseTrajectoryText('header.json', log(deepObjectText(N), [sample('a', '{}')]));
    expect(deepHeader.trajectories).toEqual([]);
    expect(deepHeader.errors.map((e) => e.message)).toEqual([
      `header.json: Inspect AI eval log: at ${shownPath('eval.config', Array<string>(N - 2).fill('a'))}: ${tooDeepText(N + 2)}`,
    ]);
  });

  it('ShareGPT: a function_call turn whose JSON nests too deeply refuses its record', () => {
    const record = (value: string) => JSON.stringify({ id: 'sg', conversations: [{ from: 'human', value: 'hi' }, { from: 'function_call', value }] });
    expect(parseTrajectoryText('sg.json', record(`{"name":"f","arguments":${deepObjectText(N - 1)}}`)).errors).toEqual([]);
    const past = parseTrajectoryText('sg.json', record(`{"name":"f","arguments":${deepObjectText(N)}}`));
    expect(past.trajectories).toEqual([]);
    expect(past.errors.map((e) => e.message)).toEqual([
      `sg.json: ShareGPT / AgentInstruct conversations: at conversations[1].value, inside the string at ${shownPath('', ['arguments', ...Array<string>(N - 1).fill('a')])}: ${tooDeepText(N + 1)}`,
    ]);
  });

  it('a value of unknown shape nesting deeply is reported as unknown, without a crash', () => {
    const result = parseTrajectoryText('odd.json', deepObjectText(100_000, 'odd'));
    expect(result.trajectories).toEqual([]);
    expect(result.errors[0].message).toMatch(/^odd\.json: not a known trajectory format: found an object with keys "odd"/);
  });
});
