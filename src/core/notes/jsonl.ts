/**
 * Notes as JSON Lines: one note a line, keys in a fixed order (trajectory, file, message, tokens,
 * text, tags, created), so an export reads the same every time and diffs cleanly. Reading checks
 * every line and keeps the good ones; each bad line is reported with the file, its line number,
 * the field and the reason.
 */
import type { z } from 'zod';
import { describeValue, fieldPath } from '../scores/format';
import { exportedNoteSchema, type ExportedNote } from './note';

/** A notes file bigger than this is refused before it is read (about 50,000 long notes). */
export const MAX_NOTES_FILE_BYTES = 64 * 1024 * 1024;

/** One line of the export, keys in their fixed order (optional `file` only when known). */
export function noteLine(note: ExportedNote): string {
  const ordered = {
    trajectory: note.trajectory,
    ...(note.file !== undefined ? { file: note.file } : {}),
    message: note.message,
    tokens: note.tokens === null ? null : { start: note.tokens.start, end: note.tokens.end },
    text: note.text,
    tags: note.tags,
    created: note.created,
  };
  return JSON.stringify(ordered);
}

/** The export: one line per note, each ending in a newline (an empty string for no notes). */
export function notesToJsonLines(notes: readonly ExportedNote[]): string {
  return notes.map((n) => `${noteLine(n)}\n`).join('');
}

export interface NotesReading {
  notes: { line: number; note: ExportedNote }[];
  /** `<file>: line <n>: <place>: <reason>`, one per bad line. */
  errors: string[];
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const article: Record<string, string> = { int: 'an integer', number: 'a number', array: 'an array', object: 'an object', string: 'a string' };
      return `expected ${article[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    }
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'number' ? `expected a number ≥ ${String(issue.minimum)}, got ${describeValue(issue.input)}` : issue.message;
    default:
      return issue.message;
  }
}

/** Reads a notes export. Blank lines are skipped; a byte-order mark at the start is ignored. */
export function parseNotesJsonLines(text: string, fileName: string): NotesReading {
  const notes: NotesReading['notes'] = [];
  const errors: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      errors.push(`${fileName}: line ${line}: is not JSON (each line of a notes file is one JSON object)`);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.push(`${fileName}: line ${line}: expected a note (a JSON object), got ${describeValue(value)}`);
      return;
    }
    const parsed = exportedNoteSchema.safeParse(value, { reportInput: true });
    if (parsed.success) {
      if (parsed.data.text.trim() === '' && parsed.data.tags.length === 0) errors.push(`${fileName}: line ${line}: text: a note needs text or a tag`);
      else notes.push({ line, note: parsed.data });
      return;
    }
    const issue = parsed.error.issues[0];
    const place = fieldPath(issue.path);
    errors.push(`${fileName}: line ${line}: ${place === '' ? '' : `${place}: `}${describeIssue(issue)}`);
  });
  if (notes.length === 0 && errors.length === 0) errors.push(`${fileName}: holds no notes`);
  return { notes, errors };
}
