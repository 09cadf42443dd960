/**
 * A file the user opened, with the path it is known by. A folder pick gives each file its path
 * inside the folder (`File.webkitRelativePath`: `Who&When/Hand-Crafted/7.json`), and so does a
 * dropped folder (read entry by entry, ui/files/dropped-entries.ts); a file opened alone is known
 * by its name. The path is the file's identity in the app (its name in the store, bundles and
 * view links), so that two `7.json` from different folders stay two files.
 */
export interface OpenedFile {
  file: File;
  /** Relative path (slash-separated), or the file's name. */
  path: string;
}

export function pathOf(opened: File | OpenedFile): string {
  if (!(opened instanceof Blob)) return opened.path;
  return opened.webkitRelativePath || opened.name;
}

export function fileOf(opened: File | OpenedFile): File {
  return opened instanceof Blob ? opened : opened.file;
}

/**
 * Of the files a folder holds, those the page reads: by extension (`.json`, `.jsonl`, `.traj`,
 * `.eval`, archives, `.gz`), hidden files (`.DS_Store`, anything under `.git/`) left out. A README
 * or a LICENSE beside the trajectories is not an error. The same test picks an archive's entries
 * and the CLI's folder files (core/trajectory/archive/entry-names.ts).
 */
export { isTrajectoryPath } from '../core/trajectory/archive/entry-names';

/** A folder's files in path order, numbers compared as numbers (`2.json` before `10.json`). */
export function byPath<T extends File | OpenedFile>(files: readonly T[]): T[] {
  return [...files].sort((a, b) => pathOf(a).localeCompare(pathOf(b), 'en', { numeric: true }));
}
