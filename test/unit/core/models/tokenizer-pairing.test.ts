import { describe, expect, it } from 'vitest';
import { TOKENIZATION_PROBES, pairTokenizers, vocabularyOnlyFingerprint, type TokenizerIdentity } from '../../../../src/core/models';

const VOCABULARY: [string, number][] = [
  ['<pad>', 0],
  ['<bos>', 1],
  ['<eos>', 2],
  ['hello', 3],
  [' world', 4],
];

/** A tokenizer identity whose encoder maps every text to its length (or what `encode` says). */
function identity(options: { fingerprint: string; vocabulary?: [string, number][]; eos?: number; encode?: (text: string) => number[] }): TokenizerIdentity {
  return {
    tokenizer: { vocabularyFingerprint: options.fingerprint, encode: options.encode ?? ((text) => [text.length]) },
    vocabularyOnlyFingerprint: vocabularyOnlyFingerprint(options.vocabulary ?? VOCABULARY),
    specialTokens: { bos: 1, eos: options.eos ?? 2, pad: 0, unk: null },
  };
}

describe('pairTokenizers', () => {
  it('identical fingerprints: token level, no notice', () => {
    expect(pairTokenizers(identity({ fingerprint: 'a' }), identity({ fingerprint: 'a' }))).toEqual({ level: 'token', relation: 'identical' });
  });

  it('one vocabulary, other special-token roles, same splits: token level with a notice naming the roles', () => {
    const pairing = pairTokenizers(identity({ fingerprint: 'a' }), identity({ fingerprint: 'b', eos: 0 }));
    expect(pairing).toMatchObject({ level: 'token', relation: 'same-vocabulary' });
    expect('notice' in pairing && pairing.notice).toContain('eos 2 vs 0');
  });

  it('one vocabulary but a probe text split differently: step level', () => {
    const probe = TOKENIZATION_PROBES[3];
    const reference = identity({ fingerprint: 'b', eos: 0, encode: (text) => (text === probe ? [1, 2] : [text.length]) });
    const pairing = pairTokenizers(identity({ fingerprint: 'a' }), reference);
    expect(pairing.level).toBe('step');
    expect('notice' in pairing && pairing.notice).toMatch(/share their vocabulary but they split "def fix/);
  });

  it('different vocabularies: step level, the notice says so and why', () => {
    const other: [string, number][] = [...VOCABULARY.slice(0, 3), [' world', 3], ['hello', 4]];
    const pairing = pairTokenizers(identity({ fingerprint: 'a' }), identity({ fingerprint: 'b', vocabulary: other }));
    expect(pairing.level).toBe('step');
    expect('notice' in pairing && pairing.notice).toMatch(/different vocabularies .*falling back to step-level scores/);
  });

  it('the vocabulary-only fingerprint ignores entry order but not the id of a token', () => {
    expect(vocabularyOnlyFingerprint([...VOCABULARY].reverse())).toBe(vocabularyOnlyFingerprint(VOCABULARY));
    expect(vocabularyOnlyFingerprint([...VOCABULARY.slice(0, 3), ['hello', 4], [' world', 3]])).not.toBe(vocabularyOnlyFingerprint(VOCABULARY));
  });
});
