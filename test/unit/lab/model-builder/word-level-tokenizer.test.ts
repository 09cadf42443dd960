import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SPECIAL_TOKENS,
  SPECIAL_TOKEN_COUNT,
  SPECIAL_TOKEN_IDS,
  buildTokenizerConfigJson,
  buildWordLevelTokenizerJson,
  splitIntoPieces,
  syntheticVocabulary,
  wordLevelVocabularyFromTexts,
} from '../../../../lab/model-builder';

const texts = [
  'Hello, world! This is a test.',
  'user: run  the tests\nassistant: 42 passed (0 failed)',
  '  indented line\n\n\tand a tab; café naïve',
  'trailing space ',
];
const chatMessages = [
  { role: 'user', content: 'run the tests' },
  { role: 'assistant', content: '42 passed' },
];
const vocabulary = wordLevelVocabularyFromTexts([...texts, 'assistant:', ...chatMessages.map((m) => `${m.role}: ${m.content}\n`)]);

describe('splitIntoPieces', () => {
  it('partitions text GPT-2 style: words keep one leading space, digits and symbols stand alone', () => {
    expect(splitIntoPieces('Hello, world!  x1')).toEqual(['Hello', ',', ' world', '!', ' ', ' x', '1']);
    expect(splitIntoPieces('a\n\n b')).toEqual(['a', '\n\n', ' b']);
    expect(splitIntoPieces('end  ')).toEqual(['end', '  ']);
  });

  it('concatenates back to any input, including non-ASCII text', () => {
    for (const text of [...texts, 'Ünïcödé 😀 mixed\r\n12.5%', '']) expect(splitIntoPieces(text).join('')).toBe(text);
  });
});

describe('vocabulary helpers', () => {
  it('collects each distinct piece once, in order of first appearance', () => {
    expect(wordLevelVocabularyFromTexts(['a b a', 'b c'])).toEqual(['a', ' b', ' a', 'b', ' c']);
  });

  it('syntheticVocabulary gives exactly the requested number of distinct single pieces, deterministically', () => {
    for (const size of [0, 10, 200, 1000]) {
      const pieces = syntheticVocabulary(size);
      expect(pieces).toHaveLength(size);
      expect(new Set(pieces).size).toBe(size);
      for (const piece of pieces) expect(splitIntoPieces(piece)).toEqual([piece]);
    }
    expect(syntheticVocabulary(300)).toEqual(syntheticVocabulary(300));
  });

  it('buildWordLevelTokenizerJson rejects entries the pre-tokenizer can never produce, duplicates and special names', () => {
    expect(() => buildWordLevelTokenizerJson(['hello world'])).toThrow(/single piece/);
    expect(() => buildWordLevelTokenizerJson(['a', 'a'])).toThrow(/duplicate/);
    expect(() => buildWordLevelTokenizerJson([SPECIAL_TOKENS.eos])).toThrow(/reserved/);
  });

  it('numbers special tokens first, then the vocabulary in order', () => {
    const json = buildWordLevelTokenizerJson(['x', ' y']);
    expect(json.model.vocab).toEqual({ '<pad>': 0, '<bos>': 1, '<eos>': 2, '<unk>': 3, x: 4, ' y': 5 });
    expect(json.added_tokens.map((token) => [token.id, token.content, token.special])).toEqual([
      [0, '<pad>', true],
      [1, '<bos>', true],
      [2, '<eos>', true],
      [3, '<unk>', true],
    ]);
  });
});

describe('tokenizer loaded by transformers.js', () => {
  let tmpRoot: string;
  let tokenizer: PreTrainedTokenizer;
  let tokenizerWithoutBos: PreTrainedTokenizer;
  const savedEnv = { allowRemoteModels: env.allowRemoteModels, allowLocalModels: env.allowLocalModels, localModelPath: env.localModelPath };

  beforeAll(async () => {
    tmpRoot = await mkdtemp(join(tmpdir(), 'word-level-tokenizer-'));
    for (const [folder, addBosToken] of [['with-bos', true], ['without-bos', false]] as const) {
      await mkdir(join(tmpRoot, folder));
      await writeFile(join(tmpRoot, folder, 'tokenizer.json'), JSON.stringify(buildWordLevelTokenizerJson(vocabulary, { addBosToken })));
      await writeFile(join(tmpRoot, folder, 'tokenizer_config.json'), JSON.stringify(buildTokenizerConfigJson({ addBosToken, modelMaxLength: 128 })));
    }
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = tmpRoot;
    tokenizer = await AutoTokenizer.from_pretrained('with-bos');
    tokenizerWithoutBos = await AutoTokenizer.from_pretrained('without-bos');
  });

  afterAll(async () => {
    Object.assign(env, savedEnv);
    if (tmpRoot) await rm(tmpRoot, { recursive: true, force: true });
  });

  const ids = (text: string, tok = tokenizer): number[] => (tok(text, { return_tensor: false }) as { input_ids: number[] }).input_ids;

  it('encodes to the ids of our own piece split, with <bos> first', () => {
    for (const text of texts) {
      const expected = splitIntoPieces(text).map((piece) => SPECIAL_TOKEN_COUNT + vocabulary.indexOf(piece));
      expect(ids(text)).toEqual([SPECIAL_TOKEN_IDS.bos, ...expected]);
      expect(ids(text, tokenizerWithoutBos)).toEqual(expected);
    }
  });

  it('round-trips in-vocabulary text exactly', () => {
    for (const text of texts) {
      expect(tokenizer.decode(ids(text), { skip_special_tokens: true })).toBe(text);
      expect(tokenizer.decode(ids(text))).toBe(`${SPECIAL_TOKENS.bos}${text}`);
    }
  });

  it('maps out-of-vocabulary pieces to <unk> and recognizes special tokens in text', () => {
    expect(ids('Hello zebra', tokenizerWithoutBos)).toEqual([SPECIAL_TOKEN_COUNT + vocabulary.indexOf('Hello'), SPECIAL_TOKEN_IDS.unk]);
    expect(ids('Hello<eos>', tokenizerWithoutBos)).toEqual([SPECIAL_TOKEN_COUNT + vocabulary.indexOf('Hello'), SPECIAL_TOKEN_IDS.eos]);
    expect(tokenizer.eos_token_id).toBe(SPECIAL_TOKEN_IDS.eos);
    expect(tokenizer.pad_token_id).toBe(SPECIAL_TOKEN_IDS.pad);
  });

  it('applies the chat template as `role: content` lines', () => {
    const rendered = tokenizer.apply_chat_template(chatMessages, { tokenize: false, add_generation_prompt: true });
    expect(rendered).toBe('<bos>user: run the tests\nassistant: 42 passed\nassistant:');
    const tokenized = tokenizer.apply_chat_template(chatMessages, { tokenize: true, return_tensor: false, return_dict: false }) as number[];
    expect(tokenized).not.toContain(SPECIAL_TOKEN_IDS.unk);
    expect(tokenizer.decode(tokenized)).toBe('<bos>user: run the tests\nassistant: 42 passed\n');
    expect(tokenizerWithoutBos.apply_chat_template(chatMessages, { tokenize: false })).toBe('user: run the tests\nassistant: 42 passed\n');
  });
});
