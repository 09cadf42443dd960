/** Notes on spans (a step, or a run of its tokens): the note, its checks, and its JSON Lines form. */
export {
  MAX_NOTE_TAGS,
  MAX_NOTE_TAG_CHARS,
  MAX_NOTE_TEXT_CHARS,
  PRESET_NOTE_TAGS,
  compareNotes,
  describeNoteSpan,
  exportedNoteSchema,
  normaliseTags,
  NOTE_SAYS_SOMETHING,
  noteBodySchema,
  noteBodyShape,
  noteCoversToken,
  notePlacementProblem,
  noteTokenSpanSchema,
  notesOnSpan,
  type ExportedNote,
  type NoteBody,
  type NoteTarget,
  type NoteTokenSpan,
} from './note';
export { MAX_NOTES_FILE_BYTES, noteLine, notesToJsonLines, parseNotesJsonLines, type NotesReading } from './jsonl';
