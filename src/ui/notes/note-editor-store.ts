/**
 * Which note editor is open (one at a time): a new note on a step or token range, or an existing
 * note being edited. Kept outside the components because the transcript's rows are virtualized:
 * a row scrolled away and back finds its editor, and its unsaved text, as it was.
 */
import { create } from 'zustand';

export interface OpenEditor {
  key: string;
  message: number;
  tokens: { start: number; end: number } | null;
  /** The note being edited; null for a new note. */
  noteId: string | null;
  text: string;
  tags: string[];
  /** Free tags as typed (comma-separated), added to `tags` on save. */
  freeTags: string;
  error: string | null;
}

export const useNoteEditorStore = create<{ editor: OpenEditor | null }>()(() => ({ editor: null }));

export function openNoteEditor(editor: Omit<OpenEditor, 'error' | 'freeTags'> & { freeTags?: string }): void {
  useNoteEditorStore.setState({ editor: { freeTags: '', ...editor, error: null } });
}

export function patchNoteEditor(patch: Partial<OpenEditor>): void {
  useNoteEditorStore.setState((s) => (s.editor ? { editor: { ...s.editor, ...patch } } : s));
}

export function closeNoteEditor(): void {
  useNoteEditorStore.setState({ editor: null });
}
