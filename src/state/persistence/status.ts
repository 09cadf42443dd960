/** What the page tells the user about saving: whether the session is kept, by this tab or another, and what went wrong. */
import { create } from 'zustand';
import type { SaveFailure } from './data-records';

export interface PersistenceStatus {
  /**
   * `starting`: reading the saved session; `saving`: this tab writes its changes through;
   * `another-tab`: another tab keeps the session, this one shows it but saves nothing;
   * `taking-over`: asking that tab to let go; `unavailable`: nothing is kept.
   */
  phase: 'starting' | 'saving' | 'another-tab' | 'taking-over' | 'unavailable';
  /** Why another tab keeps the session: it had it when this tab opened, or it took it from this tab. */
  otherTab: 'had-it' | 'took-it' | null;
  /** A storage problem in words (storage unavailable, saved settings unreadable); null when there is none. */
  storageNotice: string | null;
  /** The last write that failed, with what the database holds (read back); null when all is saved. */
  saveFailure: SaveFailure | null;
  /** What taking the session over brought along from this tab, in words; null otherwise. */
  takeOverNotice: string | null;
  /** The session came from storage (not a fresh start). */
  restored: boolean;
}

export const usePersistenceStatus = create<PersistenceStatus>()(() => ({
  phase: 'starting',
  otherTab: null,
  storageNotice: null,
  saveFailure: null,
  takeOverNotice: null,
  restored: false,
}));
