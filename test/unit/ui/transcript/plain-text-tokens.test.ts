import { describe, expect, it } from 'vitest';
import { alignTokensToText, plainMessageTokenTexts } from '../../../../src/ui/transcript/plain-text-tokens';

const covered = (text: string, ranges: [number, number][]) => ranges.map(([s, e]) => text.slice(s, e));

describe('alignTokensToText', () => {
  it('maps byte-level tokens that spell the text exactly', () => {
    const text = '\n[assistant]: Hello there';
    const tokens = ['\n', '[', 'assistant', ']:', ' Hello', ' there'];
    expect(covered(text, alignTokensToText(text, tokens)!)).toEqual(tokens);
  });

  it('maps a word-level tokenizer that drops spaces and lacks brackets (<unk>)', () => {
    const text = '\n[assistant]: I will book it.';
    const tokens = ['<unk>', 'assistant', '<unk>', ':', 'I', 'will', 'book', 'it', '.'];
    const shown = covered(text, alignTokensToText(text, tokens)!);
    expect(shown).toEqual(['\n[', 'assistant', ']', ':', ' I', ' will', ' book', ' it', '.']);
    expect(shown.join('')).toBe(text);
  });

  it('gives the characters of a multi-byte character to its byte tokens', () => {
    const text = '[user]: café ok';
    const tokens = ['[', 'user', ']:', ' caf', '�', '�', ' ok'];
    const ranges = alignTokensToText(text, tokens)!;
    expect(covered(text, ranges).join('')).toBe(text);
    expect(covered(text, ranges)[4]).toBe('é');
    expect(covered(text, ranges)[5]).toBe('');
  });

  it('gives up on tokens that do not spell the text', () => {
    expect(alignTokensToText('[assistant]: Hello', ['<|im_start|>', 'ASSISTANT', 'HELLO', 'x', 'y', 'z', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'])).toBeNull();
    expect(alignTokensToText('[assistant]: Hello and much more text that no token covers at all, far beyond the window of the search', ['[', 'assistant', ']:', ' Hello'])).toBeNull();
  });
});

describe('plainMessageTokenTexts', () => {
  it('drops the separator and marks the role prefix', () => {
    const rendered = '\n[assistant]: I will book it.';
    const prefix = '\n[assistant]: '.length;
    const r = plainMessageTokenTexts(rendered, prefix, ['<unk>', 'assistant', '<unk>', ':', 'I', 'will', 'book', 'it', '.'])!;
    expect(r.texts).toEqual(['[', 'assistant', ']', ':', ' I', ' will', ' book', ' it', '.']);
    expect(r.prefixChars).toEqual([1, 9, 1, 1, 1, 0, 0, 0, 0]);
    expect(r.texts.map((t, i) => t.slice(r.prefixChars[i])).join('')).toBe('I will book it.');
  });
});
