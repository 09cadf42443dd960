import { describe, expect, it } from 'vitest';
import { parseTokenQuery, tokenMatches, fieldsOf, TokenQueryError, type TokenFigures } from '../../../../src/core/search';

const error = (query: string) => {
  try {
    parseTokenQuery(query);
  } catch (e) {
    expect(e).toBeInstanceOf(TokenQueryError);
    return `${(e as TokenQueryError).offset}|${(e as Error).message}`;
  }
  throw new Error(`accepted ${query}`);
};

describe('the token query language', () => {
  it('reads comparisons, and / or / not and parentheses with and binding tighter', () => {
    expect(parseTokenQuery('A < -1')).toEqual({ kind: 'compare', field: 'A', op: '<', value: -1 });
    expect(parseTokenQuery('A<−1.5e0')).toEqual({ kind: 'compare', field: 'A', op: '<', value: -1.5 });
    expect(parseTokenQuery('logp_policy < -5 and entropy > 3')).toEqual({
      kind: 'and',
      left: { kind: 'compare', field: 'logp_policy', op: '<', value: -5 },
      right: { kind: 'compare', field: 'entropy', op: '>', value: 3 },
    });
    const q = parseTokenQuery('a <= -2 OR A >= 2 and not ENTROPY == .5');
    expect(q).toEqual({
      kind: 'or',
      left: { kind: 'compare', field: 'A', op: '<=', value: -2 },
      right: { kind: 'and', left: { kind: 'compare', field: 'A', op: '>=', value: 2 }, right: { kind: 'not', operand: { kind: 'compare', field: 'entropy', op: '=', value: 0.5 } } },
    });
    expect(parseTokenQuery('(A < 0 or A > 1) and logp_reference != 0').kind).toBe('and');
    expect([...fieldsOf(q)].sort()).toEqual(['A', 'entropy']);
  });

  it('refuses a bad query with the place and what was expected', () => {
    expect(error('entropyy > 3')).toBe('0|unknown field "entropyy" at 0: fields are A, logp_policy, logp_reference, entropy');
    expect(error('A < -1 and entropyy > 3')).toBe('11|unknown field "entropyy" at 11: fields are A, logp_policy, logp_reference, entropy');
    expect(error('')).toBe('0|the query is empty: compare a field (A, logp_policy, logp_reference, entropy) with a number, e.g. "A < -1"');
    expect(error('A -1')).toBe('2|expected a comparison (< <= > >= = !=) after A at 2, found "-1"');
    expect(error('A <')).toBe('3|expected a number after A < at 3, found the end of the query');
    expect(error('A < x')).toBe('4|expected a number after A < at 4, found "x"');
    expect(error('A < 1 entropy > 2')).toBe('6|unexpected "entropy" at 6: expected "and", "or" or the end of the query');
    expect(error('(A < 1')).toBe('6|expected ")" at 6, found the end of the query');
    expect(error('A < 1 and')).toBe('9|expected a field (A, logp_policy, logp_reference, entropy) at 9, found the end of the query');
    expect(error('A < 1 # x')).toBe('6|unexpected "#" at 6: a query compares fields (A, logp_policy, logp_reference, entropy) with numbers');
    expect(error('< 1')).toBe('0|expected a field (A, logp_policy, logp_reference, entropy) at 0, found "<"');
  });

  it('matches figures; a comparison on entropy that was not computed is false', () => {
    const figures: TokenFigures = { A: -1.5, logp_policy: -6, logp_reference: -4.5, entropy: 3.5 };
    const m = (q: string, f: TokenFigures = figures) => tokenMatches(parseTokenQuery(q), f);
    expect(m('A < -1')).toBe(true);
    expect(m('A < -1.5')).toBe(false);
    expect(m('A <= -1.5')).toBe(true);
    expect(m('A = -1.5')).toBe(true);
    expect(m('A != -1.5')).toBe(false);
    expect(m('logp_policy < -5 and entropy > 3')).toBe(true);
    expect(m('logp_policy < -5 and entropy > 4')).toBe(false);
    expect(m('logp_policy > 0 or logp_reference >= -4.5')).toBe(true);
    expect(m('not A < 0')).toBe(false);
    expect(m('entropy > 0', { ...figures, entropy: null })).toBe(false);
    expect(m('A < -1', { ...figures, A: Number.NEGATIVE_INFINITY })).toBe(true);
  });
});
