import { useEffect } from 'react';
import { useAppStore } from '../../state/store';
import { selectStep, useLinkedViewStore } from '../../state/analysis';
import { useListStore, visibleKeys } from '../../state/list-view';
import { computeAnalysis, useAnalysisStore } from '../../state/analysis';
import { useScoringStore } from '../../state/scoring';
import { noteTagsByKey, useNotesStore } from '../../state/notes';

export const SHORTCUTS: readonly { keys: string; action: string }[] = [
  { keys: 'j / k', action: 'next / previous action step of the open trajectory' },
  { keys: 'n / p', action: 'next / previous trajectory in the list (filters and sort apply)' },
  { keys: '↑ / ↓, Home / End', action: 'move in the focused list' },
  { keys: 'Enter / Shift+Enter', action: 'next / previous search hit (in the search box)' },
  { keys: 'n / N', action: 'next / previous search hit (in the focused search results)' },
  { keys: 'Ctrl+Enter, Esc', action: 'save, or cancel, the note being written' },
  { keys: '?', action: 'show or hide this help' },
  { keys: 'Esc', action: 'close the help' },
];

function typingInAField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA' || el.isContentEditable);
}

/** Global keys: j/k steps, n/p trajectories, ? help. Reads the stores at key time, so it never re-binds. */
export function useKeyboardShortcuts(toggleHelp: () => void, closeHelp: () => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typingInAField(e.target)) return;
      if (e.key === '?') return (e.preventDefault(), toggleHelp());
      if (e.key === 'Escape') return closeHelp();
      const app = useAppStore.getState();
      if (e.key === 'n' || e.key === 'p') {
        const analysis = computeAnalysis(app.trajectoryOrder, useScoringStore.getState().results, useAnalysisStore.getState().evaluation);
        const keys = visibleKeys(app.trajectoryOrder, app.trajectories, useListStore.getState(), analysis.byKey, noteTagsByKey(useNotesStore.getState().notes));
        if (keys.length === 0) return;
        const at = app.selectedKey ? keys.indexOf(app.selectedKey) : -1;
        const next = e.key === 'n' ? Math.min(keys.length - 1, at + 1) : Math.max(0, at - 1);
        app.select(keys[next]);
        return;
      }
      if ((e.key === 'j' || e.key === 'k') && app.selectedKey) {
        const steps = app.trajectories[app.selectedKey]?.trajectory.actionSteps ?? [];
        if (steps.length === 0) return;
        const current = useLinkedViewStore.getState().selected;
        const at = current?.key === app.selectedKey ? steps.indexOf(current.message) : -1;
        const next = e.key === 'j' ? Math.min(steps.length - 1, at + 1) : Math.max(0, at < 0 ? 0 : at - 1);
        selectStep({ key: app.selectedKey, message: steps[next] });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [toggleHelp, closeHelp]);
}
