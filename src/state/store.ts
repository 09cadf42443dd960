/**
 * The app's state: zustand slices for loaded files, trajectories, the selection and the open tab.
 * Trajectories are plain data produced by the ingestion worker; nothing here touches the DOM.
 * Objects are replaced, never mutated: the session writer (state/persistence) finds what changed
 * by identity.
 */
import { z } from 'zod';
import { create } from 'zustand';
import type { StateCreator } from 'zustand';
import { persist } from './persisted';
import type { Trajectory } from '../core/trajectory/types';
import type { FileError } from '../core/trajectory/ingest';
import { maxOf } from '../core/arrays';

/** A trajectory as the app keeps it: which loaded file it came from and where in that file. */
export interface LoadedTrajectory {
  key: string;
  fileId: number;
  fileName: string;
  index: number;
  trajectory: Trajectory;
}

export interface LoadedFile {
  id: number;
  name: string;
  size: number;
  status: 'parsing' | 'done' | 'failed';
  /** Bytes read so far while parsing (for the progress line of big files). */
  bytesRead: number;
  trajectoryKeys: string[];
  errors: FileError[];
}

export interface FilesSlice {
  files: LoadedFile[];
  trajectories: Record<string, LoadedTrajectory>;
  /** Keys in load order: the list's order. */
  trajectoryOrder: string[];
  beginFile(name: string, size: number): number;
  fileProgress(fileId: number, bytesRead: number): void;
  /** Adds parsed trajectories (and errors) to a file; big files arrive in several batches. */
  addTrajectories(fileId: number, trajectories: Trajectory[], errors: FileError[]): void;
  finishFile(fileId: number): void;
  failFile(fileId: number, error: FileError): void;
  removeFile(fileId: number): void;
}

export interface SelectionSlice {
  selectedKey: string | null;
  select(key: string | null): void;
}

export const VIEW_TABS = ['trajectory', 'group', 'dataset'] as const;
export type ViewTab = (typeof VIEW_TABS)[number];

export interface ViewSlice {
  activeTab: ViewTab;
  setActiveTab(tab: ViewTab): void;
}

/** What a saved session brings back (see state/persistence). */
export interface RestoredFiles {
  files: LoadedFile[];
  trajectories: Record<string, LoadedTrajectory>;
  selectedKey: string | null;
  activeTab: ViewTab;
}

export interface SessionSlice {
  /** Replaces the files, trajectories, selection and tab with a saved session's. */
  restoreFiles(restored: RestoredFiles): void;
  /** Empties the session: no files, no trajectories, nothing selected, the first tab. */
  resetFiles(): void;
}

export type AppState = FilesSlice & SelectionSlice & ViewSlice & SessionSlice;

let nextFileId = 1;

export const trajectoryKey = (fileId: number, index: number): string => `${fileId}:${index}`;

const createFilesSlice: StateCreator<AppState, [], [], FilesSlice> = (set) => ({
  files: [],
  trajectories: {},
  trajectoryOrder: [],
  beginFile(name, size) {
    const id = nextFileId++;
    set((s) => ({ files: [...s.files, { id, name, size, status: 'parsing', bytesRead: 0, trajectoryKeys: [], errors: [] }] }));
    return id;
  },
  fileProgress(fileId, bytesRead) {
    set((s) => ({ files: s.files.map((f) => (f.id === fileId ? { ...f, bytesRead } : f)) }));
  },
  addTrajectories(fileId, parsed, errors) {
    set((s) => {
      const file = s.files.find((f) => f.id === fileId);
      if (!file || (parsed.length === 0 && errors.length === 0)) return s;
      const added: Record<string, LoadedTrajectory> = {};
      const first = file.trajectoryKeys.length;
      const keys = parsed.map((trajectory, i) => {
        const key = trajectoryKey(fileId, first + i);
        added[key] = { key, fileId, fileName: file.name, index: first + i, trajectory };
        return key;
      });
      const files = s.files.map((f) =>
        f.id === fileId ? { ...f, trajectoryKeys: [...f.trajectoryKeys, ...keys], errors: [...f.errors, ...errors] } : f,
      );
      return {
        files,
        trajectories: { ...s.trajectories, ...added },
        // Files finish in any order; the list keeps the order in which they were opened.
        trajectoryOrder: files.flatMap((f) => f.trajectoryKeys),
        selectedKey: s.selectedKey ?? keys[0] ?? null,
      };
    });
  },
  finishFile(fileId) {
    set((s) => ({
      files: s.files.map((f) =>
        f.id === fileId ? { ...f, bytesRead: f.size, status: f.trajectoryKeys.length === 0 && f.errors.length > 0 ? 'failed' : 'done' } : f,
      ),
    }));
  },
  failFile(fileId, error) {
    set((s) => ({ files: s.files.map((f) => (f.id === fileId ? { ...f, status: 'failed', errors: [error] } : f)) }));
  },
  removeFile(fileId) {
    set((s) => {
      const file = s.files.find((f) => f.id === fileId);
      if (!file) return s;
      const gone = new Set(file.trajectoryKeys);
      const trajectories = { ...s.trajectories };
      for (const k of gone) delete trajectories[k];
      return {
        files: s.files.filter((f) => f.id !== fileId),
        trajectories,
        trajectoryOrder: s.trajectoryOrder.filter((k) => !gone.has(k)),
        selectedKey: s.selectedKey && gone.has(s.selectedKey) ? null : s.selectedKey,
      };
    });
  },
});

const createSelectionSlice: StateCreator<AppState, [], [], SelectionSlice> = (set) => ({
  selectedKey: null,
  select(key) {
    set({ selectedKey: key });
  },
});

const createViewSlice: StateCreator<AppState, [], [], ViewSlice> = (set) => ({
  activeTab: 'trajectory',
  setActiveTab(tab) {
    set({ activeTab: tab });
  },
});

const createSessionSlice: StateCreator<AppState, [], [], SessionSlice> = (set) => ({
  restoreFiles({ files, trajectories, selectedKey, activeTab }) {
    // Restored files keep their ids (trajectory keys contain them): new files are numbered after them.
    nextFileId = Math.max(nextFileId, maxOf(files.map((f) => f.id + 1)));
    set({
      files,
      trajectories,
      trajectoryOrder: files.flatMap((f) => f.trajectoryKeys),
      selectedKey: selectedKey !== null && trajectories[selectedKey] ? selectedKey : null,
      activeTab,
    });
  },
  resetFiles() {
    set({ files: [], trajectories: {}, trajectoryOrder: [], selectedKey: null, activeTab: 'trajectory' });
  },
});

export const useAppStore = create<AppState>()((...a) => ({
  ...createFilesSlice(...a),
  ...createSelectionSlice(...a),
  ...createViewSlice(...a),
  ...createSessionSlice(...a),
}));

/**
 * What the session keeps of this store besides its files (saved record by record, see
 * state/persistence): the selection and the open tab. A saved selection that is no longer loaded
 * is dropped; none saved keeps the first trajectory that restoreFiles selected.
 */
export const appPersistence = persist({
  store: useAppStore,
  fields: { selectedKey: z.string().nullable(), activeTab: z.enum(VIEW_TABS) },
  watch: ['selectedKey', 'activeTab'],
  live: (s: AppState) => ({ selectedKey: s.selectedKey, activeTab: s.activeTab }),
  save: (live) => live,
  restore: (saved, context) => ({
    ...(saved.selectedKey !== null ? { selectedKey: context.hasTrajectory(saved.selectedKey) ? saved.selectedKey : null } : {}),
    activeTab: saved.activeTab,
  }),
});
