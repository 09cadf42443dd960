/** Reads a saved session back from IndexedDB (the inverse of writer.ts); the stores are not touched here. */
import { SINGLE_RECORD_KEY, readAllInPages, type SessionDatabase } from './database';
import { sessionRecordSchema, type CachedScore, type SessionRecord, type StoredSession } from './records';

/**
 * Everything saved, with the cache entries the results point at. A session record that does not
 * pass its schema (another build, or edited by hand) is dropped and said why in `invalidSession`.
 */
export async function readStoredSession(db: SessionDatabase): Promise<{ stored: StoredSession; invalidSession: string | null }> {
  const [rawSession, job, files, trajectories, results, notes] = await Promise.all([
    db.get('session', SINGLE_RECORD_KEY),
    db.get('job', SINGLE_RECORD_KEY),
    readAllInPages(db, 'files'),
    readAllInPages(db, 'trajectories'),
    readAllInPages(db, 'results'),
    readAllInPages(db, 'notes'),
  ]);
  let session: SessionRecord | null = null;
  let invalidSession: string | null = null;
  if (rawSession !== undefined) {
    const parsed = sessionRecordSchema.safeParse(rawSession);
    if (parsed.success) session = parsed.data;
    else invalidSession = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  }
  const cached = new Map<string, CachedScore>();
  const cacheKeys = [...new Set(results.flatMap((r) => ('cacheKey' in r ? [r.cacheKey] : [])))];
  if (cacheKeys.length > 0) {
    const tx = db.transaction('scoreCache', 'readonly');
    const entries = await Promise.all(cacheKeys.map((k) => tx.store.get(k)));
    await tx.done;
    entries.forEach((entry, i) => entry && cached.set(cacheKeys[i], entry));
  }
  return { stored: { session, files, trajectories, results, cached, job: job ?? null, notes }, invalidSession };
}
