import { describe, expect, it } from 'vitest';
import {
  compareNotes,
  describeNoteSpan,
  noteBodySchema,
  noteCoversToken,
  notePlacementProblem,
  notesOnSpan,
  normaliseTags,
  notesToJsonLines,
  parseNotesJsonLines,
  type ExportedNote,
} from '../../../../src/core/notes';

const created = '2026-12-05T08:30:00.000Z';
const note = (over: Partial<ExportedNote> = {}): ExportedNote => ({ trajectory: 't-1', message: 2, tokens: { start: 1, end: 4 }, text: 'gave up the refund', tags: ['decisive'], created, ...over });

describe('notes', () => {
  it('checks a note body', () => {
    expect(noteBodySchema.safeParse({ message: 2, tokens: null, text: 'x', tags: [], created }).success).toBe(true);
    const issues = (value: unknown) => noteBodySchema.safeParse(value).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ message: 2, tokens: { start: 3, end: 3 }, text: 'x', tags: [], created })).toEqual(['tokens.end: the token range must start below its end']);
    expect(issues({ message: 2, tokens: null, text: '  ', tags: [], created })).toEqual(['text: a note needs text or a tag']);
    expect(issues({ message: 2, tokens: null, text: 'x', tags: ['a', 'a'], created })).toEqual(['tags: a tag appears twice']);
    expect(issues({ message: 2, tokens: null, text: 'x', tags: [' a'], created })).toEqual(['tags.0: a tag starts or ends with a space']);
    expect(issues({ message: 2, tokens: null, text: 'x', tags: [], created: 'yesterday' })).toEqual(['created: expected an ISO 8601 time, got the string "yesterday"']);
  });

  it('normalises typed tags', () => {
    expect(normaliseTags([' decisive ', '', 'decisive', 'false\u0007 alarm', 'x'.repeat(50)])).toEqual(['decisive', 'false alarm', 'x'.repeat(40)]);
  });

  it('describes and matches spans', () => {
    expect(describeNoteSpan({ message: 4, tokens: null })).toBe('message 4 (the whole step)');
    expect(describeNoteSpan({ message: 4, tokens: { start: 0, end: 1 } })).toBe('message 4, token 1');
    expect(describeNoteSpan({ message: 4, tokens: { start: 1, end: 5 } })).toBe('message 4, tokens 2–5');
    const n = note();
    expect([0, 1, 3, 4].map((i) => noteCoversToken(n, 2, i))).toEqual([false, true, true, false]);
    expect(noteCoversToken(n, 3, 1)).toBe(false);
    const whole = note({ tokens: null });
    expect(notesOnSpan([n, whole, note({ message: 5 })], 2, 4, 9)).toEqual([whole]);
    expect(notesOnSpan([n, whole], 2, 3, 4)).toEqual([n, whole]);
    expect([note({ created: '2026-12-06T00:00:00Z' }), whole, note({ tokens: { start: 0, end: 2 } })].sort(compareNotes).map((x) => x.tokens?.start ?? null)).toEqual([null, 0, 1]);
  });

  it('says where a note cannot sit', () => {
    const target = { messages: 5, actionSteps: [2, 4], tokenCounts: new Map([[2, 3]]) };
    expect(notePlacementProblem({ message: 7, tokens: null }, target)).toBe('message 7 does not exist (the trajectory has 5 messages)');
    expect(notePlacementProblem({ message: 1, tokens: null }, target)).toBe('message 1 is not an action step of the trajectory');
    expect(notePlacementProblem({ message: 2, tokens: { start: 1, end: 4 } }, target)).toBe("the token range 1-4 ends past the step's 3 scored tokens");
    expect(notePlacementProblem({ message: 2, tokens: { start: 0, end: 3 } }, target)).toBeNull();
    expect(notePlacementProblem({ message: 4, tokens: { start: 0, end: 99 } }, target)).toBeNull();
  });

  it('writes JSON Lines with fixed keys and reads them back', () => {
    const notes = [note({ file: 'a.jsonl' }), note({ tokens: null, text: '<img src=x onerror=alert(1)>', tags: [] })];
    const text = notesToJsonLines(notes);
    expect(text.split('\n')[0]).toBe(
      '{"trajectory":"t-1","file":"a.jsonl","message":2,"tokens":{"start":1,"end":4},"text":"gave up the refund","tags":["decisive"],"created":"2026-12-05T08:30:00.000Z"}',
    );
    expect(text.endsWith('\n')).toBe(true);
    const back = parseNotesJsonLines(text, 'notes.jsonl');
    expect(back.errors).toEqual([]);
    expect(back.notes.map((n) => n.note)).toEqual(notes);
    expect(back.notes.map((n) => n.line)).toEqual([1, 2]);
    expect(notesToJsonLines([])).toBe('');
  });

  it('reports each bad line with the file, line, field and reason, and keeps the good ones', () => {
    const good = JSON.stringify(note());
    const text = [
      good,
      '{"trajectory":"t-1",',
      '[1,2]',
      JSON.stringify({ ...note(), message: -1 }),
      JSON.stringify({ ...note(), tags: ['ok', 5] }),
      JSON.stringify({ ...note(), colour: 'red' }),
      JSON.stringify({ ...note(), tokens: { start: 4, end: 2 } }),
      JSON.stringify({ ...note(), trajectory: undefined }),
      JSON.stringify({ ...note(), text: '', tags: [] }),
      '',
      good,
    ].join('\n');
    const reading = parseNotesJsonLines(`\uFEFF${text}`, 'n.jsonl');
    expect(reading.notes.map((n) => n.line)).toEqual([1, 11]);
    expect(reading.errors).toEqual([
      'n.jsonl: line 2: is not JSON (each line of a notes file is one JSON object)',
      'n.jsonl: line 3: expected a note (a JSON object), got an array',
      'n.jsonl: line 4: message: expected a number ≥ 0, got number -1',
      'n.jsonl: line 5: tags[1]: expected a string, got number 5',
      'n.jsonl: line 6: unknown key "colour"',
      'n.jsonl: line 7: tokens.end: the token range must start below its end',
      'n.jsonl: line 8: trajectory: expected a string, got nothing (missing)',
      'n.jsonl: line 9: text: a note needs text or a tag',
    ]);
    expect(parseNotesJsonLines('\n\n', 'e.jsonl').errors).toEqual(['e.jsonl: holds no notes']);
  });
});
