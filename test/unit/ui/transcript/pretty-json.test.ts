import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../../../src/core/trajectory/json-depth';
import { parseJsonContainer, prettyJson } from '../../../../src/ui/transcript/pretty-json';

describe('prettyJson', () => {
  it('indents nested arguments, one key a line', () => {
    const { text, folded } = prettyJson({ user_id: 'mia_kim_4397', flights: [{ flight_number: 'HAT069', date: '2024-05-20' }] });
    expect(text).toBe('{\n  "user_id": "mia_kim_4397",\n  "flights": [\n    {\n      "flight_number": "HAT069",\n      "date": "2024-05-20"\n    }\n  ]\n}');
    expect(folded).toBe(false);
  });

  it('folds long string values and says how much is hidden', () => {
    const long = 'x'.repeat(1000);
    const { text, folded } = prettyJson({ patch: long }, 100);
    expect(folded).toBe(true);
    expect(text).toContain(`"${'x'.repeat(100)}… (900 more characters)"`);
    expect(prettyJson({ patch: long }, Infinity).text).toContain(long);
  });
});

describe('parseJsonContainer', () => {
  it('reads JSON objects and arrays, nothing else', () => {
    expect(parseJsonContainer(' {"a": 1} ')).toEqual({ a: 1 });
    expect(parseJsonContainer('[1, 2]')).toEqual([1, 2]);
    expect(parseJsonContainer('42')).toBeUndefined();
    expect(parseJsonContainer('{not json')).toBeUndefined();
    expect(parseJsonContainer('Transfer successful')).toBeUndefined();
  });

  it('leaves JSON nesting deeper than files may as text (folding and indenting it would recurse past the stack)', () => {
    const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
    expect(parseJsonContainer(nested(MAX_JSON_DEPTH))).toBeDefined();
    expect(prettyJson(parseJsonContainer(nested(MAX_JSON_DEPTH))).text.startsWith('[\n  [\n    [')).toBe(true);
    expect(parseJsonContainer(nested(MAX_JSON_DEPTH + 1))).toBeUndefined();
    expect(parseJsonContainer(nested(100_000))).toBeUndefined();
  });
});
