import { useState, type ReactNode, type DragEvent } from 'react';
import { loadFiles, loadFolder } from '../../state/load-files';
import { useAppStore } from '../../state/store';
import { entriesOf, filesInFolders } from './dropped-entries';

/**
 * Opens what was dropped: files as they are (known by name), folders with every trajectory file
 * inside them (known by their path from the dropped folder on, so that two `7.json` stay apart).
 */
async function openDropped(transfer: DataTransfer): Promise<void> {
  const { entries, files } = entriesOf(transfer);
  const opening: Promise<unknown>[] = [];
  if (files.length > 0) opening.push(loadFiles(files));
  if (entries.length > 0) {
    opening.push(
      filesInFolders(entries).then(loadFolder, (error: unknown) => {
        const name = entries.map((e) => e.name).join(', ');
        const store = useAppStore.getState();
        store.failFile(store.beginFile(name, 0), { file: name, message: `${name}: the dropped folder could not be read (${error instanceof Error ? error.message : String(error)})` });
      }),
    );
  }
  await Promise.all(opening);
}

/** The whole page accepts dropped files; an overlay says so while something is dragged over it. */
export function DropZone({ children }: { children: ReactNode }) {
  const [dragging, setDragging] = useState(false);
  const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer.types).includes('Files');
  return (
    <div
      className="drop-zone"
      data-testid="drop-zone"
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        setDragging(false);
        // The drop's entries are readable only while the event is handled: taken at once, read after.
        void openDropped(e.dataTransfer);
      }}
    >
      {children}
      {dragging && <div className="drop-overlay">Drop trajectory files, folders or archives (.zip, .tar.gz) to load them</div>}
    </div>
  );
}
