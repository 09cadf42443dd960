/**
 * What a drop holds, with paths: dropped folders are read entry by entry
 * (`DataTransferItem.webkitGetAsEntry()`), each file known by its path from the dropped folder on
 * (`Who&When/Hand-Crafted/7.json`); files dropped alone are known by their name.
 */
import type { OpenedFile } from '../../state/opened-file';
import { appendAll } from '../../core/arrays';

/** The entries of a drop; must be called while the drop event is being handled (the list empties after). */
export function entriesOf(transfer: DataTransfer): { entries: FileSystemEntry[]; files: File[] } {
  const entries: FileSystemEntry[] = [];
  const files: File[] = [];
  for (const item of Array.from(transfer.items)) {
    if (item.kind !== 'file') continue;
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (entry?.isDirectory) entries.push(entry);
    else {
      const file = item.getAsFile();
      if (file) files.push(file);
    }
  }
  // A browser without entries: the files as they are.
  if (entries.length === 0 && files.length === 0) appendAll(files, Array.from(transfer.files));
  return { entries, files };
}

function readBatch(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

function fileOfEntry(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** Every file under the dropped folders, with its path from the dropped folder on. */
export async function filesInFolders(entries: readonly FileSystemEntry[]): Promise<OpenedFile[]> {
  const out: OpenedFile[] = [];
  const walk = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.isFile) {
      out.push({ file: await fileOfEntry(entry as FileSystemFileEntry), path: entry.fullPath.replace(/^\/+/, '') });
      return;
    }
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries answers in batches (100 at a time in Chromium) until it answers none.
    for (let batch = await readBatch(reader); batch.length > 0; batch = await readBatch(reader)) {
      for (const child of batch) await walk(child);
    }
  };
  for (const entry of entries) await walk(entry);
  return out;
}
