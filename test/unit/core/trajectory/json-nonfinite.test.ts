/**
 * NaN / Infinity / -Infinity as Python's json module writes them (src/core/trajectory/json-nonfinite.ts):
 * read as numbers outside strings, untouched inside them, exact errors for JSON that is invalid
 * anyway, and an Inspect AI log that holds them (test/corpus/bad/inspect-nan-infinity.json: the log
 * of /work/shared/fixtures/trajectories/inspect_ai/log_tool_call_error.json with two samples added
 * and its metrics set to NaN / Infinity, written by Python's json.dumps).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTrajectoryBytes, parseTrajectoryText } from '../../../../src/core/trajectory/ingest';
import { InvalidJsonText, parseJsonText } from '../../../../src/core/trajectory/json-nonfinite';
import { findJsonSyntaxError } from '../../../../src/core/trajectory/json-syntax';
import { deepObjectText } from './deep-json';

const here = path.dirname(fileURLToPath(import.meta.url));
const INSPECT_NAN = path.resolve(here, '../../../corpus/bad/inspect-nan-infinity.json');

function invalid(text: string): InvalidJsonText {
  try {
    parseJsonText(text);
  } catch (error) {
    if (error instanceof InvalidJsonText) return error;
    throw error;
  }
  throw new Error(`parsed: ${text}`);
}

describe('parseJsonText', () => {
  it('reads the literals as the numbers they stand for, wherever a value may stand', () => {
    expect(parseJsonText('NaN')).toBeNaN();
    expect(parseJsonText('-Infinity')).toBe(Number.NEGATIVE_INFINITY);
    expect(parseJsonText('[NaN, Infinity, -Infinity, 1, -0.5]')).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1, -0.5]);
    expect(parseJsonText('{"a": {"b": [ NaN ]}, "c":Infinity}')).toEqual({ a: { b: [Number.NaN] }, c: Number.POSITIVE_INFINITY });
  });

  it('leaves strings alone, including keys and escapes that spell the literals', () => {
    const value = parseJsonText('{"NaN": NaN, "text": "NaN Infinity -Infinity", "escaped": "\\u004eaN", "list": ["Infinity", -Infinity]}');
    expect(value).toEqual({ NaN: Number.NaN, text: 'NaN Infinity -Infinity', escaped: 'NaN', list: ['Infinity', Number.NEGATIVE_INFINITY] });
  });

  it('keeps every number the text writes, including the ones closest to its NaN stand-in', () => {
    // The stand-in is the first negative multiple of 5e-324 the text does not already hold.
    const value = parseJsonText('[-5e-324, -1e-323, NaN, -1.5e-323, -4.9406564584124654e-324, 0, -0]') as number[];
    expect(value[0]).toBe(-5e-324);
    expect(value[1]).toBe(-1e-323);
    expect(value[2]).toBeNaN();
    expect(value[3]).toBe(-1.5e-323);
    expect(value[4]).toBe(-5e-324);
    expect(Object.is(value[6], -0)).toBe(true);
    expect(value.filter((v) => Number.isNaN(v))).toHaveLength(1);
  });

  it('reads any depth the scanner accepts (the nesting bound is the ingestion’s)', () => {
    const deep = `${'['.repeat(50_000)}NaN${']'.repeat(50_000)}`;
    let value = parseJsonText(deep);
    for (let i = 0; i < 50_000; i++) value = (value as unknown[])[0];
    expect(value).toBeNaN();
  });

  it('gives the strict scanner’s exact error for JSON that is invalid anyway, the literals aside', () => {
    expect(invalid('{"a": NaN,}').syntax).toEqual({ offset: 10, line: 1, column: 11, message: "unexpected character '}': expected a property name in double quotes after ',' (trailing commas are not allowed)" });
    expect(invalid('[nan]').syntax?.message).toBe("unexpected character 'a': expected 'null'");
    expect(invalid('[+Infinity]').syntax?.message).toBe("unexpected character '+': expected a value (object, array, string, number, true, false or null)");
    expect(invalid('[-Inf]').syntax?.message).toBe("unexpected character ']': expected '-Infinity'");
    expect(invalid('[Infinite]').syntax?.message).toBe("unexpected character 'e': expected 'Infinity'");
    expect(invalid('{"a": 1} NaN').syntax?.column).toBe(10);
    // Without the literals, the strict error stays what it was.
    expect(findJsonSyntaxError('[NaN]')?.message).toBe("unexpected character 'N': expected a value (object, array, string, number, true, false or null)");
  });

  it('parses valid JSON with JSON.parse alone (the literals are never looked for)', () => {
    const text = JSON.stringify({ text: 'NaN', values: [1, 2, 3] });
    expect(parseJsonText(text)).toEqual(JSON.parse(text));
  });
});

describe('through the ingestion', () => {
  it('a JSON Lines record with NaN loads; its non-finite reward is dropped with a notice', () => {
    const lines = [
      '{"id":"a","reward":NaN,"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"NaN"}],"meta":{"t":Infinity}}',
      '{"id":"b","reward":1,"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"ok"}]}',
    ].join('\n');
    const result = parseTrajectoryText('nan.jsonl', lines);
    expect(result.trajectories.map((t) => [t.id, t.labels.reward ?? null])).toEqual([
      ['a', null],
      ['b', 1],
    ]);
    expect(result.trajectories[0].messages[1].content).toBe('NaN');
    expect(result.errors.map((e) => [e.message, e.severity])).toEqual([
      ['nan.jsonl:1: OpenAI chat messages: at reward: expected a reward (a finite number) or null, found the number NaN; the trajectory is loaded without this label', 'notice'],
    ]);
  });

  it('a file that is JSON Lines with NaN in its first line is still read as JSON Lines', () => {
    const lines = ['{"id":"a","x":NaN,"messages":[{"role":"user","content":"q"}]}', '{"id":"b","messages":[{"role":"user","content":"q"}]}'].join('\n');
    expect(parseTrajectoryText('lines.json', lines).trajectories.map((t) => t.id)).toEqual(['a', 'b']);
  });

  it('the nesting bound holds for text read through the literals', () => {
    const result = parseTrajectoryText('deep.json', `{"messages":[{"role":"user","content":"q"}],"x":NaN,"deep":${deepObjectText(300)}}`);
    expect(result.trajectories).toEqual([]);
    expect(result.errors[0].message).toMatch(/^deep\.json: OpenAI chat messages: at deep\.a\.a.*…: expected JSON nested at most 256 levels deep, found 301 levels$/);
  });

  it('an Inspect AI log written by Python’s json (NaN metrics, -Infinity log-probs, NaN score) loads; a NaN log-prob refuses its sample', () => {
    const text = readFileSync(INSPECT_NAN, 'utf8');
    // Python wrote the literals; the strict JSON.parse refuses the file.
    expect(() => JSON.parse(text)).toThrow();

    const result = parseTrajectoryBytes('inspect-nan-infinity.json', readFileSync(INSPECT_NAN));
    expect(result.trajectories.map((t) => t.id)).toEqual(['1#4', 'lp#1']);
    const [, lp] = result.trajectories;
    expect(lp.messages[1].logprobs).toEqual([
      { token: '5', logprob: -0.25, topLogprobs: [{ token: '5', logprob: -0.25 }, { token: 'Infinity', logprob: Number.NEGATIVE_INFINITY }] },
      { token: '<eos>', logprob: Number.NEGATIVE_INFINITY, topLogprobs: [] },
    ]);
    expect(lp.labels).toEqual({});
    expect(lp.metadata.metadata).toEqual({ temperature: Infinity, penalty: -Infinity, calibration: NaN, note: 'NaN and Infinity in strings stay text' });
    expect((lp.metadata.scores as Record<string, { value: unknown }>).model_graded.value).toBeNaN();
    expect(lp.messages[0].content).toBe('What is 2+3? Say NaN if unsure.');
    expect(result.errors.map((e) => e.message)).toEqual([
      'inspect-nan-infinity.json: Inspect AI eval log: at samples[2].output.choices[0].logprobs.content[0].logprob: expected a log-probability (a finite number, -Infinity or null), found the number NaN',
      'inspect-nan-infinity.json: Inspect AI eval log: at samples[1].scores.model_graded.value: expected a reward (a finite number) or null, found the number NaN; the trajectory is loaded without this label',
    ]);
  });
});
