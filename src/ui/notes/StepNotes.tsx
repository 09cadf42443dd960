/**
 * A step's notes under its message in the transcript: each note's span, tags and text (React text
 * nodes only: a note is never markup), with edit and delete; and the buttons that add a note on the
 * marked token range or on the whole step, which open the editor in place.
 */
import { PRESET_NOTE_TAGS, describeNoteSpan, normaliseTags } from '../../core/notes';
import { addNote, deleteNote, updateNote, type SessionNote } from '../../state/notes';
import { closeNoteEditor, openNoteEditor, patchNoteEditor, useNoteEditorStore, type OpenEditor } from './note-editor-store';
import './notes.css';

export function StepNotes({
  entryKey,
  message,
  notes,
  markedRange,
}: {
  entryKey: string;
  message: number;
  notes: readonly SessionNote[];
  /** The token range marked in this step (click, shift-click), if any. */
  markedRange: { start: number; end: number } | null;
}) {
  const editor = useNoteEditorStore((s) => (s.editor?.key === entryKey && s.editor.message === message ? s.editor : null));
  const start = (tokens: OpenEditor['tokens']) => openNoteEditor({ key: entryKey, message, tokens, noteId: null, text: '', tags: [] });
  return (
    <div className="step-notes" data-testid="step-notes" data-message={message}>
      {notes.map((note) =>
        editor?.noteId === note.id ? (
          <NoteEditor key={note.id} editor={editor} />
        ) : (
          <NoteView key={note.id} note={note} />
        ),
      )}
      {editor && editor.noteId === null && <NoteEditor editor={editor} />}
      {!editor && (
        <div className="note-actions">
          {markedRange && (
            <button type="button" className="link-button" data-testid="add-note-range" onClick={() => start(markedRange)}>
              + note on {describeNoteSpan({ message, tokens: markedRange }).replace(/^message \d+, /, '')}
            </button>
          )}
          <button type="button" className="link-button" data-testid="add-note-step" onClick={() => start(null)}>
            + note on this step
          </button>
        </div>
      )}
    </div>
  );
}

function NoteView({ note }: { note: SessionNote }) {
  return (
    <div className="note" data-testid="note" data-note-id={note.id} data-message={note.message} data-start={note.tokens?.start ?? ''} data-end={note.tokens?.end ?? ''}>
      <div className="note-head">
        <span className="note-span" data-testid="note-span">
          {note.tokens === null ? 'step' : describeNoteSpan(note).replace(/^message \d+, /, '')}
        </span>
        {note.tags.map((tag) => (
          <span key={tag} className="badge note-tag" data-testid="note-tag">
            {tag}
          </span>
        ))}
        <time className="muted" dateTime={note.created}>
          {note.created.slice(0, 16).replace('T', ' ')}
        </time>
        <button
          type="button"
          className="link-button"
          data-testid="note-edit"
          onClick={() => openNoteEditor({ key: note.key, message: note.message, tokens: note.tokens, noteId: note.id, text: note.text, tags: note.tags.slice() })}
        >
          edit
        </button>
        <button type="button" className="link-button" data-testid="note-delete" onClick={() => deleteNote(note.id)}>
          delete
        </button>
      </div>
      {note.text !== '' && (
        <p className="note-text" data-testid="note-text">
          {note.text}
        </p>
      )}
    </div>
  );
}

function NoteEditor({ editor }: { editor: OpenEditor }) {
  const presets: readonly string[] = PRESET_NOTE_TAGS;
  const toggle = (tag: string) => patchNoteEditor({ tags: editor.tags.includes(tag) ? editor.tags.filter((t) => t !== tag) : [...editor.tags, tag] });
  const save = () => {
    const tags = normaliseTags([...editor.tags, ...editor.freeTags.split(',')]);
    try {
      if (editor.noteId === null) addNote(editor.key, { message: editor.message, tokens: editor.tokens, text: editor.text, tags });
      else updateNote(editor.noteId, { text: editor.text, tags });
      closeNoteEditor();
    } catch (error) {
      patchNoteEditor({ error: error instanceof Error ? error.message : String(error) });
    }
  };
  const custom = editor.tags.filter((t) => !presets.includes(t));
  return (
    <form
      className="note-editor"
      data-testid="note-editor"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') closeNoteEditor();
        // Ctrl/⌘+Enter saves from the text box.
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) (e.preventDefault(), save());
        e.stopPropagation();
      }}
    >
      <div className="muted">
        {editor.noteId === null ? 'New note on ' : 'Note on '}
        {editor.tokens === null ? 'this step' : describeNoteSpan(editor).replace(/^message \d+, /, '')}
      </div>
      <textarea
        autoFocus
        data-testid="note-text-input"
        aria-label="Note text"
        rows={3}
        value={editor.text}
        placeholder="What did you see here?"
        onChange={(e) => patchNoteEditor({ text: e.currentTarget.value, error: null })}
      />
      <div className="note-tag-choices">
        {[...presets, ...custom].map((tag) => (
          <label key={tag} className="note-tag-choice">
            <input type="checkbox" data-testid="note-tag-choice" data-tag={tag} checked={editor.tags.includes(tag)} onChange={() => toggle(tag)} /> {tag}
          </label>
        ))}
        <input
          type="text"
          data-testid="note-free-tags"
          aria-label="Other tags, comma-separated"
          placeholder="other tags, comma-separated"
          value={editor.freeTags}
          onChange={(e) => patchNoteEditor({ freeTags: e.currentTarget.value, error: null })}
        />
      </div>
      {editor.error && (
        <p className="share-error" role="alert" data-testid="note-error">
          {editor.error}
        </p>
      )}
      <div className="note-actions">
        <button type="submit" data-testid="note-save">
          Save note
        </button>
        <button type="button" data-testid="note-cancel" onClick={closeNoteEditor}>
          Cancel
        </button>
      </div>
    </form>
  );
}
