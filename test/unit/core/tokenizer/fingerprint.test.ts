import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fnv1a64, fnv1a64Hex, fromTransformersTokenizer, vocabularyFingerprint, type SpecialTokenIds } from '../../../../src/core/tokenizer';
import { tinyModelFolders, type TinyModelFolders } from '../render/tiny-model-folder';

/** 64-bit FNV-1a written the obvious way (BigInt over TextEncoder bytes), to check the fast one. */
function referenceFnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

describe('FNV-1a 64', () => {
  it.each([
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['foobar', '85944171f73967e8'],
  ])('the published test vector for %j', (text, expected) => {
    expect(fnv1a64Hex(text)).toBe(expected);
  });

  it.each(['héllo', '日本語 text', 'emoji 😀 and \u{10ffff}', '\u0000\u007f\u0080\u07ff\u0800\uffff', 'x'.repeat(1000), 'lone \ud800 surrogate'])(
    'hashes the UTF-8 bytes of %j',
    (text) => {
      expect(fnv1a64Hex(text)).toBe(referenceFnv1a64(text));
    },
  );

  it('is incremental', () => {
    expect(new Fnv1a64().update('foo').update('bar').hex()).toBe(fnv1a64Hex('foobar'));
  });
});

describe('vocabularyFingerprint', () => {
  const special: SpecialTokenIds = { bos: 1, eos: 2, pad: 0, unk: 3, all: [0, 1, 2, 3] };
  const entries: Array<[string, number]> = [
    ['<pad>', 0],
    ['<bos>', 1],
    ['<eos>', 2],
    ['<unk>', 3],
    ['hello', 4],
    [' world', 5],
  ];
  const base = vocabularyFingerprint(entries, special);

  it('is fnv1a64 of one line per entry sorted by id, then the special ids', () => {
    const canonical =
      entries.map(([token, id]) => `${id}\t${JSON.stringify(token)}\n`).join('') +
      'special\t{"bos":1,"eos":2,"pad":0,"unk":3,"all":[0,1,2,3]}\n';
    expect(base).toBe(`fnv1a64:${referenceFnv1a64(canonical)}`);
  });

  it('does not depend on the order entries or special ids come in', () => {
    expect(vocabularyFingerprint([...entries].reverse(), { ...special, all: [3, 2, 1, 0] })).toBe(base);
  });

  it('changes with a token, an id or a special token', () => {
    const fingerprints = [
      vocabularyFingerprint(entries.map(([token, id]) => [token === 'hello' ? 'Hello' : token, id]), special),
      vocabularyFingerprint(entries.map(([token, id]) => [token, id === 4 ? 5 : id === 5 ? 4 : id]), special),
      vocabularyFingerprint([...entries, ['extra', 6]], special),
      vocabularyFingerprint(entries, { ...special, bos: null }),
      vocabularyFingerprint(entries, { ...special, all: [0, 1, 2] }),
    ];
    for (const fingerprint of fingerprints) expect(fingerprint).not.toBe(base);
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
  });
});

describe('the fingerprint of transformers.js tokenizers', () => {
  let folders: TinyModelFolders;
  beforeAll(async () => {
    folders = await tinyModelFolders();
  });
  afterAll(async () => {
    await folders?.dispose();
  });

  it('is equal for equal vocabularies and differs otherwise', async () => {
    const vocabulary = ['hello', ' world', '!', '\n'];
    const first = fromTransformersTokenizer(await folders.loadTokenizer('first', vocabulary));
    const second = fromTransformersTokenizer(await folders.loadTokenizer('second', vocabulary));
    const reordered = fromTransformersTokenizer(await folders.loadTokenizer('reordered', [' world', 'hello', '!', '\n']));
    const larger = fromTransformersTokenizer(await folders.loadTokenizer('larger', [...vocabulary, '?']));
    expect(first.vocabularyFingerprint).toMatch(/^fnv1a64:[0-9a-f]{16}$/);
    expect(second.vocabularyFingerprint).toBe(first.vocabularyFingerprint);
    expect(reordered.vocabularyFingerprint).not.toBe(first.vocabularyFingerprint);
    expect(larger.vocabularyFingerprint).not.toBe(first.vocabularyFingerprint);
  });

  it('covers the added special tokens of the model-builder’s tokenizer', async () => {
    const tokenizer = fromTransformersTokenizer(await folders.loadTokenizer('specials', ['hello']));
    const expected = vocabularyFingerprint(
      [
        ['<pad>', 0],
        ['<bos>', 1],
        ['<eos>', 2],
        ['<unk>', 3],
        ['hello', 4],
      ],
      { bos: 1, eos: 2, pad: 0, unk: 3, all: [0, 1, 2, 3] },
    );
    expect(tokenizer.vocabularyFingerprint).toBe(expected);
  });
});
