/**
 * Notes on spans: what a reader wrote about a step or a run of its tokens ("here the agent gave
 * up the refund, the policy knew"). A note names its step by message index and, optionally, a token
 * range inside the step's scored tokens (start inclusive, end exclusive: the deep links' `tokens=`).
 * Notes are untrusted text everywhere they travel (bundles, snippet links, JSON Lines): they are
 * checked here and always shown as text, never as markup.
 */
import { z } from 'zod';
import { describeValue } from '../scores/format';

/** The tags offered in the editor; any other short tag may be typed. */
export const PRESET_NOTE_TAGS = ['decisive', 'recovery', 'false alarm'] as const;
export const MAX_NOTE_TEXT_CHARS = 10_000;
export const MAX_NOTE_TAG_CHARS = 40;
export const MAX_NOTE_TAGS = 12;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const noteTagSchema = z
  .string({ error: (issue) => `expected a tag (a string), got ${describeValue(issue.input)}` })
  .min(1, 'a tag is empty')
  .max(MAX_NOTE_TAG_CHARS, `a tag is longer than ${MAX_NOTE_TAG_CHARS} characters`)
  .refine((tag) => tag === tag.trim(), 'a tag starts or ends with a space')
  .refine((tag) => !CONTROL.test(tag), 'a tag holds a control character');

/** Scored tokens start ≤ i < end of the step. */
export const noteTokenSpanSchema = z
  .strictObject({ start: z.int().nonnegative(), end: z.int().positive() })
  .refine((span) => span.start < span.end, { message: 'the token range must start below its end', path: ['end'] });

const noteTextSchema = z.string().max(MAX_NOTE_TEXT_CHARS, `the text is longer than ${MAX_NOTE_TEXT_CHARS.toLocaleString('en-US')} characters`);
const noteTagsSchema = z
  .array(noteTagSchema)
  .max(MAX_NOTE_TAGS, `more than ${MAX_NOTE_TAGS} tags`)
  .refine((tags) => new Set(tags).size === tags.length, 'a tag appears twice');
const noteCreatedSchema = z.iso.datetime({ offset: true, error: (issue) => `expected an ISO 8601 time, got ${describeValue(issue.input)}` });

/** The fields of a note's body, for schemas that add to them (the session's note adds its id and trajectory key). */
export const noteBodyShape = {
  /** Message index of the step. */
  message: z.int().nonnegative(),
  /** A run of the step's scored tokens, or null for the whole step. */
  tokens: noteTokenSpanSchema.nullable(),
  text: noteTextSchema,
  tags: noteTagsSchema,
  /** ISO 8601 time the note was written. */
  created: noteCreatedSchema,
};

/** A note says something: empty text is allowed only with a tag. */
export const NOTE_SAYS_SOMETHING: [(note: { text: string; tags: readonly string[] }) => boolean, { message: string; path: string[] }] = [
  (note) => note.text.trim() !== '' || note.tags.length > 0,
  { message: 'a note needs text or a tag', path: ['text'] },
];

/** What a note says and where, inside one trajectory. */
export const noteBodySchema = z.strictObject(noteBodyShape).refine(...NOTE_SAYS_SOMETHING);

export type NoteBody = z.infer<typeof noteBodySchema>;
export type NoteTokenSpan = z.infer<typeof noteTokenSpanSchema>;

/** A note as exported (JSON Lines): its trajectory by id, and the file it was read from when known. */
export const exportedNoteSchema = z.strictObject({
  trajectory: z.string().min(1, 'the trajectory id is empty'),
  file: z.string().min(1).optional(),
  message: z.int().nonnegative(),
  tokens: noteTokenSpanSchema.nullable(),
  text: noteTextSchema,
  tags: noteTagsSchema,
  created: noteCreatedSchema,
});

export type ExportedNote = z.infer<typeof exportedNoteSchema>;

/** Tags as typed: trimmed, control characters removed, empty ones and repeats dropped, in the order given. */
export function normaliseTags(tags: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of tags) {
    // eslint-disable-next-line no-control-regex
    const tag = raw.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, MAX_NOTE_TAG_CHARS).trim();
    if (tag !== '' && !out.includes(tag)) out.push(tag);
  }
  return out.slice(0, MAX_NOTE_TAGS);
}

/** "message 4, tokens 2–5" (1-based, inclusive, as a reader counts) or "message 4 (the whole step)". */
export function describeNoteSpan(note: Pick<NoteBody, 'message' | 'tokens'>): string {
  if (note.tokens === null) return `message ${note.message} (the whole step)`;
  const { start, end } = note.tokens;
  return end - start === 1 ? `message ${note.message}, token ${start + 1}` : `message ${note.message}, tokens ${start + 1}–${end}`;
}

/** Whether a note covers token `index` of step `message` (a whole-step note covers none: it marks the step). */
export function noteCoversToken(note: Pick<NoteBody, 'message' | 'tokens'>, message: number, index: number): boolean {
  return note.message === message && note.tokens !== null && index >= note.tokens.start && index < note.tokens.end;
}

/** The notes on a step's span [start, end): whole-step notes of that step and token notes overlapping it. */
export function notesOnSpan<N extends Pick<NoteBody, 'message' | 'tokens'>>(notes: readonly N[], message: number, start = 0, end = Number.POSITIVE_INFINITY): N[] {
  return notes.filter((n) => n.message === message && (n.tokens === null || (n.tokens.start < end && n.tokens.end > start)));
}

/** What a trajectory says about where a note may sit: its message count, action steps, and each scored step's token count when scored. */
export interface NoteTarget {
  messages: number;
  actionSteps: readonly number[];
  /** Scored tokens per message index (absent: the step's tokens are unknown, so ranges are not checked). */
  tokenCounts?: ReadonlyMap<number, number>;
}

/** Why a note cannot sit on this trajectory, or null. */
export function notePlacementProblem(note: Pick<NoteBody, 'message' | 'tokens'>, target: NoteTarget): string | null {
  if (note.message >= target.messages) return `message ${note.message} does not exist (the trajectory has ${target.messages} messages)`;
  if (!target.actionSteps.includes(note.message)) return `message ${note.message} is not an action step of the trajectory`;
  const count = target.tokenCounts?.get(note.message);
  if (note.tokens !== null && count !== undefined && note.tokens.end > count) {
    return `the token range ${note.tokens.start}-${note.tokens.end} ends past the step's ${count} scored tokens`;
  }
  return null;
}

/** Notes in reading order: by step, whole-step notes first, then by token range, then by time. */
export function compareNotes(a: Pick<NoteBody, 'message' | 'tokens' | 'created'>, b: Pick<NoteBody, 'message' | 'tokens' | 'created'>): number {
  if (a.message !== b.message) return a.message - b.message;
  const as = a.tokens?.start ?? -1;
  const bs = b.tokens?.start ?? -1;
  if (as !== bs) return as - bs;
  const ae = a.tokens?.end ?? -1;
  const be = b.tokens?.end ?? -1;
  if (ae !== be) return ae - be;
  return a.created < b.created ? -1 : a.created > b.created ? 1 : 0;
}
