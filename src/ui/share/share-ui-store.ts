/** What the share menu shows: open or not, the last snippet link made, and the last outcome. */
import { create } from 'zustand';
import { createSnippetLink, type SnippetLink } from './exports';

export interface ShareUiState {
  open: boolean;
  snippet: SnippetLink | null;
  /** The last action's outcome, in words. */
  status: { kind: 'done' | 'error'; text: string } | null;
}

export const useShareUiStore = create<ShareUiState>()(() => ({ open: false, snippet: null, status: null }));

export function setShareMenuOpen(open: boolean): void {
  useShareUiStore.setState({ open });
}

export function reportShareOutcome(kind: 'done' | 'error', text: string): void {
  useShareUiStore.setState({ status: { kind, text } });
}

/** Runs an export action; its error (a sentence) becomes the menu's status instead of an exception. */
export async function runShareAction(action: () => void | Promise<void>, done: string): Promise<boolean> {
  try {
    await action();
    reportShareOutcome('done', done);
    return true;
  } catch (error) {
    reportShareOutcome('error', error instanceof Error ? error.message : String(error));
    return false;
  }
}

/** Makes the snippet link of a step and opens the menu on it. */
export function shareStepSnippet(key: string, message: number): void {
  try {
    const snippet = createSnippetLink(key, message);
    useShareUiStore.setState({
      open: true,
      snippet,
      status: { kind: 'done', text: snippet.keptTokens < snippet.totalTokens ? `Link made with the first ${snippet.keptTokens} of ${snippet.totalTokens} tokens (links are bounded).` : 'Link made.' },
    });
  } catch (error) {
    useShareUiStore.setState({ open: true, snippet: null, status: { kind: 'error', text: error instanceof Error ? error.message : String(error) } });
  }
}
