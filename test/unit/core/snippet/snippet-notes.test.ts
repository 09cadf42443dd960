/** Snippet links carry the notes on their step: as written, bounded, and refused when they point past the step. */
import { describe, expect, it } from 'vitest';
import { deflateSync, strToU8 } from 'fflate';
import { decodeSnippet, encodeSnippet, toBase64Url, MAX_SNIPPET_NOTE_CHARS, MAX_SNIPPET_NOTES, SNIPPET_HASH_PREFIX, type SnippetInput } from '../../../../src/core/snippet';
import { PAYLOADS } from '../bundle/fixtures';

const created = '2026-12-05T08:30:00.000Z';
const input: SnippetInput = {
  trajectoryId: 't',
  message: 4,
  stepNumber: 2,
  tokens: ['a', 'b', 'c'],
  policy: [-1, -2, -3],
  reference: [-1, -1, -1],
  stepScore: -1,
  decisive: false,
  labelledMistake: false,
  settings: {},
  modelPair: null,
  createdAt: created,
};

describe('notes in snippet links', () => {
  it('carries the step’s notes as written, texts and tags untouched', () => {
    const notes = [
      { tokens: { start: 1, end: 3 }, text: `gave up ${PAYLOADS.img}`, tags: ['decisive', PAYLOADS.svg.slice(0, 30).trim()], created },
      { tokens: null, text: '', tags: ['recovery'], created },
    ];
    const decoded = decodeSnippet(encodeSnippet({ ...input, notes }).hash);
    expect(decoded.ok && decoded.snippet.notes).toEqual(notes);
  });

  it('leaves the key out when there are none, and keeps the first notes, clipped, when there are many', () => {
    const none = decodeSnippet(encodeSnippet({ ...input, notes: [] }).hash);
    expect(none.ok && 'notes' in none.snippet).toBe(false);
    const many = Array.from({ length: MAX_SNIPPET_NOTES + 3 }, (_, i) => ({ tokens: null, text: `${i} ${'x'.repeat(2000)}`, tags: [], created }));
    const decoded = decodeSnippet(encodeSnippet({ ...input, notes: many }).hash);
    if (!decoded.ok) throw new Error(decoded.error);
    expect(decoded.snippet.notes).toHaveLength(MAX_SNIPPET_NOTES);
    expect(decoded.snippet.notes![0].text).toHaveLength(MAX_SNIPPET_NOTE_CHARS);
    expect(decoded.snippet.notes![0].text.endsWith('…')).toBe(true);
  });

  it('refuses a note past the step’s tokens', () => {
    const value = { ...input, v: 1, totalTokens: 3, settings: decodeSnippetSettings(), notes: [{ tokens: { start: 2, end: 5 }, text: 'x', tags: [], created }] };
    const hash = SNIPPET_HASH_PREFIX + toBase64Url(deflateSync(strToU8(JSON.stringify(value))));
    expect(decodeSnippet(hash)).toEqual({ ok: false, error: "the snippet link is not a valid snippet: notes[0].tokens: ends past the step's 3 tokens" });
  });
});

function decodeSnippetSettings() {
  const decoded = decodeSnippet(encodeSnippet(input).hash);
  if (!decoded.ok) throw new Error(decoded.error);
  return decoded.snippet.settings;
}
