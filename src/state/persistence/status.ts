/** What the page tells the user about saving: whether the session is kept, and what went wrong. */
import { create } from 'zustand';

export interface PersistenceStatus {
  /** `starting`: reading the saved session; `saving`: changes are written through; `unavailable`: nothing is kept. */
  phase: 'starting' | 'saving' | 'unavailable';
  /** A storage problem in words (quota exceeded, storage unavailable), with what was kept; null when all is saved. */
  storageNotice: string | null;
  /** The session came from storage (not a fresh start). */
  restored: boolean;
}

export const usePersistenceStatus = create<PersistenceStatus>()(() => ({ phase: 'starting', storageNotice: null, restored: false }));
