import { useSyncExternalStore } from 'react';
import { SNIPPET_HASH_PREFIX } from '../../core/snippet';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

function snapshot(): string | null {
  const hash = window.location.hash;
  return hash.startsWith(SNIPPET_HASH_PREFIX) ? hash : null;
}

/** The page's `#snippet=…` hash, or null when it has none; follows hash changes (a pasted link). */
export function useSnippetHash(): string | null {
  return useSyncExternalStore(subscribe, snapshot, () => null);
}
