/** Reads of the score cache (writes go through the session writer with the results they belong to). */
import type { ScoredTrajectory } from '../../core/scoring';
import { sessionDatabase } from './database';
import { scoresOf } from './data-records';

type CachedResult = Omit<ScoredTrajectory, 'key'>;

/** Cache keys that were found: the writer need not write their (big) entries again. */
export const knownCacheKeys = new Set<string>();

/** The cached scores among `cacheKeys` (an empty map when storage is unavailable). */
export async function lookupCachedScores(cacheKeys: readonly string[]): Promise<Map<string, CachedResult>> {
  const db = sessionDatabase();
  const found = new Map<string, CachedResult>();
  if (!db || cacheKeys.length === 0) return found;
  try {
    const tx = db.transaction('scoreCache', 'readonly');
    const entries = await Promise.all(cacheKeys.map((k) => tx.store.get(k)));
    await tx.done;
    entries.forEach((entry, i) => {
      if (!entry) return;
      found.set(cacheKeys[i], scoresOf(entry.result));
      knownCacheKeys.add(cacheKeys[i]);
    });
  } catch {
    // A cache that cannot be read is a cache miss: the worker scores them.
  }
  return found;
}
