import { describe, expect, it } from 'vitest';
import {
  fieldPath,
  formatScoreLineError,
  parseScoreJsonl,
  SCORE_FORMAT,
  serializeScoreRecord,
} from '../../../../src/core/scores';

const step = (message: number, policy: number[], reference: number[] = policy.map((p) => p - 0.5)) => ({
  message,
  policy,
  reference,
});
const line = (record: Record<string, unknown>) => JSON.stringify(record);

describe('parseScoreJsonl', () => {
  it('parses records, keeps extra top-level keys, ignores blank lines and counts lines from 1', () => {
    const text = [
      line({ format: SCORE_FORMAT, id: 'a', taskId: 't', reward: 1, file: 'x.json', steps: [step(1, [-1, -2])] }),
      '',
      '   ',
      line({ id: 'b', taskId: null, reward: null, mistakeStep: null, steps: [] }),
    ].join('\n');
    const parsed = parseScoreJsonl(text, 'f.jsonl');
    expect(parsed.errors).toEqual([]);
    expect(parsed.lineCount).toBe(2);
    expect(parsed.records.map((r) => [r.line, r.record.id])).toEqual([
      [1, 'a'],
      [4, 'b'],
    ]);
    expect(parsed.records[0].record.file).toBe('x.json');
    expect(parsed.records[0].record.steps[0]).toEqual({ message: 1, policy: [-1, -2], reference: [-1.5, -2.5] });
  });

  it('reads CRLF line ends and a byte-order mark', () => {
    const text = `\uFEFF${line({ id: 'a', steps: [] })}\r\n${line({ id: 'b', steps: [] })}\r\n`;
    const parsed = parseScoreJsonl(text, 'f.jsonl');
    expect(parsed.errors).toEqual([]);
    expect(parsed.records.map((r) => r.record.id)).toEqual(['a', 'b']);
  });

  it('an empty file gives no records and no errors', () => {
    expect(parseScoreJsonl('', 'f.jsonl')).toEqual({ records: [], errors: [], lineCount: 0 });
    expect(parseScoreJsonl('\n\n', 'f.jsonl')).toEqual({ records: [], errors: [], lineCount: 0 });
  });

  it('rejects bad lines with their line number, id and field, keeping the good ones', () => {
    const text = [
      line({ id: 'good', steps: [step(0, [-1])] }),
      '{"id": "broken", ',
      line({ id: 'nan', steps: [{ message: 0, policy: [-1, 'NaN'], reference: [-1, -1] }] }),
      line({ id: 'null-in-array', steps: [{ message: 0, policy: [-1], reference: [null] }] }),
      line({ id: 'no-reference', steps: [{ message: 0, policy: [-1] }] }),
      line({ id: 'typo', steps: [{ message: 0, policy: [-1], reference: [-1], topKMean: [-1] }] }),
      line({ id: 'topk-length', steps: [{ message: 0, policy: [-1, -2], reference: [-1, -2], topkMean: [-3] }] }),
      line({ id: 'order', steps: [step(3, [-1]), step(3, [-1])] }),
      line({ id: 'good', steps: [] }),
      '[1, 2]',
      line({ steps: [] }),
      line({ id: 'mistake', mistakeStep: 1.5, steps: [] }),
      line({ id: 'reward', reward: '1', steps: [] }),
    ].join('\n');
    const parsed = parseScoreJsonl(text, 'f.jsonl');
    expect(parsed.records.map((r) => r.record.id)).toEqual(['good']);
    const errors = parsed.errors.map((e) => ({ line: e.line, id: e.id, field: e.field }));
    expect(errors).toEqual([
      { line: 2, id: null, field: null },
      { line: 3, id: 'nan', field: 'steps[0].policy[1]' },
      { line: 4, id: 'null-in-array', field: 'steps[0].reference[0]' },
      { line: 5, id: 'no-reference', field: 'steps[0].reference' },
      { line: 6, id: 'typo', field: 'steps[0]' },
      { line: 7, id: 'topk-length', field: 'steps[0].topkMean' },
      { line: 8, id: 'order', field: 'steps[1].message' },
      { line: 9, id: 'good', field: 'id' },
      { line: 10, id: null, field: null },
      { line: 11, id: null, field: 'id' },
      { line: 12, id: 'mistake', field: 'mistakeStep' },
      { line: 13, id: 'reward', field: 'reward' },
    ]);
    const reasons = parsed.errors.map((e) => e.reason);
    expect(reasons[0]).toMatch(/^not valid JSON: /);
    expect(reasons[1]).toBe('expected a finite number, got the string "NaN"');
    expect(reasons[2]).toBe('expected a finite number, got null');
    expect(reasons[3]).toBe('expected an array, got nothing (missing)');
    expect(reasons[4]).toBe('unknown key "topKMean"');
    expect(reasons[5]).toBe('has 1 entries but policy has 2; it needs one per policy token');
    expect(reasons[6]).toBe('3 does not come after steps[0].message 3; steps must be in message order');
    expect(reasons[7]).toBe('duplicate id (first on line 1); ids must be unique within a file');
    expect(reasons[8]).toBe('expected a JSON object (one trajectory), got an array');
    expect(reasons[9]).toBe('expected a string, got nothing (missing)');
    expect(reasons[10]).toBe('expected an integer, got number 1.5');
    expect(reasons[11]).toBe('expected a finite number, got the string "1"');
    expect(formatScoreLineError(parsed.errors[1])).toBe(
      'f.jsonl:3 (id "nan"): steps[0].policy[1]: expected a finite number, got the string "NaN"',
    );
    expect(formatScoreLineError(parsed.errors[0])).toMatch(/^f\.jsonl:2: not valid JSON/);
  });

  it('rejects a number too large for a double, which JSON.parse reads as Infinity', () => {
    const parsed = parseScoreJsonl('{"id":"big","steps":[{"message":0,"policy":[-1e999],"reference":[-1]}]}', 'f.jsonl');
    expect(parsed.records).toEqual([]);
    expect(parsed.errors[0]).toMatchObject({ line: 1, id: 'big', field: 'steps[0].policy[0]' });
    expect(parsed.errors[0].reason).toBe('expected a finite number, got number -Infinity');
  });

  it('reads NaN / Infinity literals as the trajectory reader does, then refuses them by the schema; a syntax error gets the scanner\'s place and words', () => {
    const parsed = parseScoreJsonl(
      ['{"id":"py","steps":[{"message":0,"policy":[-1,NaN],"reference":[-1,-Infinity]}]}', '{"id": "broken", "steps": }'].join('\n'),
      'f.jsonl',
    );
    expect(parsed.records).toEqual([]);
    expect(parsed.errors.map(formatScoreLineError)).toEqual([
      'f.jsonl:1 (id "py"): steps[0].policy[1]: expected a finite number, got number NaN; also steps[0].reference[1]: expected a finite number, got number -Infinity',
      "f.jsonl:2: not valid JSON: column 27: unexpected character '}': expected a value (object, array, string, number, true, false or null)",
    ]);
  });

  it('reports several issues of one line, at most three named', () => {
    const parsed = parseScoreJsonl(
      line({ id: 'many', steps: [{ message: 0, policy: ['a', 'b', 'c', 'd', 'e'], reference: [] }] }),
      'f.jsonl',
    );
    expect(parsed.errors[0].reason).toBe(
      'expected a finite number, got the string "a"; also steps[0].policy[1]: expected a finite number, got the string "b"; also steps[0].policy[2]: expected a finite number, got the string "c"; and 2 more',
    );
  });
});

describe('fieldPath', () => {
  it('writes zod paths as field names', () => {
    expect(fieldPath(['steps', 2, 'policy', 5])).toBe('steps[2].policy[5]');
    expect(fieldPath(['id'])).toBe('id');
    expect(fieldPath([])).toBe('');
  });
});

describe('serializeScoreRecord', () => {
  const record = {
    steps: [{ tokens: ['a'], reference: [-0.5], policy: [-0.25], message: 2, agent: 'Coder' }],
    source: 'run-7',
    reward: 1,
    id: 'x',
    taskId: 't',
  };

  it('writes one line in a fixed key order, format first and steps last', () => {
    expect(serializeScoreRecord(record)).toBe(
      '{"format":"progress-advantage-scores/1","id":"x","taskId":"t","reward":1,"source":"run-7","steps":[{"message":2,"agent":"Coder","policy":[-0.25],"reference":[-0.5],"tokens":["a"]}]}',
    );
  });

  it('round-trips through parseScoreJsonl', () => {
    const text = [serializeScoreRecord(record), serializeScoreRecord({ id: 'y', mistakeStep: 0, steps: [] })].join('\n');
    const parsed = parseScoreJsonl(text, 'f.jsonl');
    expect(parsed.errors).toEqual([]);
    expect(parsed.records[0].record).toEqual({ format: SCORE_FORMAT, ...record });
    expect(serializeScoreRecord(parsed.records[0].record)).toBe(serializeScoreRecord(record));
  });

  it('throws on values JSON cannot hold instead of writing null', () => {
    expect(() => serializeScoreRecord({ id: 'x', steps: [{ message: 0, policy: [NaN], reference: [-1] }] })).toThrow(
      'cannot write score record "x": steps[0].policy[0]: expected a finite number, got number NaN',
    );
    expect(() => serializeScoreRecord({ id: 'x', reward: Infinity, steps: [] })).toThrow(/reward/);
  });
});
