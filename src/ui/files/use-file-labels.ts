import { useMemo } from 'react';
import { useAppStore } from '../../state/store';
import { fileLabels } from './file-labels';

/** Each open file's label (file-labels.ts: the shortest end of its path that tells it apart), by file id. */
export function useFileLabels(): ReadonlyMap<number, string> {
  // A string of ids and names: recomputed when files come and go, not on every progress update.
  const identity = useAppStore((s) => s.files.map((f) => `${f.id}\t${f.name}`).join('\n'));
  return useMemo(() => {
    const files = identity === '' ? [] : identity.split('\n').map((line) => line.split('\t') as [string, string]);
    const labels = fileLabels(files.map(([, name]) => name));
    return new Map(files.map(([id], i) => [Number(id), labels[i]]));
  }, [identity]);
}
