import { useState, type ReactNode, type DragEvent } from 'react';
import { loadFiles } from '../../state/load-files';

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
        void loadFiles(Array.from(e.dataTransfer.files));
      }}
    >
      {children}
      {dragging && <div className="drop-overlay">Drop trajectory files to load them</div>}
    </div>
  );
}
