/**
 * The open trajectory's notes in one list above its transcript (the transcript is virtualized, so
 * a note far down is otherwise out of sight): span, tags and text, each a link to its step. Text
 * only, never markup.
 */
import { describeNoteSpan } from '../../core/notes';
import { selectStep, selectTokenRange } from '../../state/analysis';
import type { SessionNote } from '../../state/notes';
import './notes.css';

export function NotesIndex({ entryKey, notes }: { entryKey: string; notes: readonly SessionNote[] }) {
  if (notes.length === 0) return null;
  const show = (note: SessionNote) => {
    selectStep({ key: entryKey, message: note.message });
    if (note.tokens) selectTokenRange({ key: entryKey, message: note.message, ...note.tokens });
  };
  return (
    <details className="notes-index" data-testid="notes-index" open>
      <summary>
        Notes on this trajectory ({notes.length})
      </summary>
      <ol>
        {notes.map((note) => (
          <li
            key={note.id}
            data-testid="notes-index-item"
            data-note-id={note.id}
            data-message={note.message}
            data-start={note.tokens?.start ?? ''}
            data-end={note.tokens?.end ?? ''}
            data-created={note.created}
          >
            <button type="button" className="link-button" data-testid="notes-index-show" onClick={() => show(note)}>
              {describeNoteSpan(note)}
            </button>
            {note.tags.map((tag) => (
              <span key={tag} className="badge note-tag" data-testid="notes-index-tag">
                {tag}
              </span>
            ))}{' '}
            <span className="notes-index-text" data-testid="notes-index-text">
              {note.text}
            </span>
          </li>
        ))}
      </ol>
    </details>
  );
}
