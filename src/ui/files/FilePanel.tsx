import { useRef, useState } from 'react';
import { useAppStore } from '../../state/store';
import { loadFiles, loadFolder } from '../../state/load-files';
import { useFileLabels } from './use-file-labels';
import { formatBytes } from '../format';
import { ClearSessionControl } from '../session/SessionPanel';
import { plural } from '../plural';
import type { FileError } from '../../core/trajectory';

/** Problems listed per kind before "…and N more". */
const SHOWN_PER_KIND = 20;

/**
 * A file's errors (what was not loaded) and notices (records loaded without a label that could not
 * be read: core/trajectory/formats/labels.ts), each kind in its own list with its count.
 */
function FileProblems({ problems }: { problems: readonly FileError[] }) {
  if (problems.length === 0) return null;
  const errors = problems.filter((p) => p.severity !== 'notice');
  const notices = problems.filter((p) => p.severity === 'notice');
  return (
    <>
      {errors.length > 0 && (
        <ul className="file-errors">
          {errors.slice(0, SHOWN_PER_KIND).map((e, i) => (
            <li key={i} className="file-error" data-testid="file-error" role="alert">
              {e.message}
            </li>
          ))}
          {errors.length > SHOWN_PER_KIND && <li className="muted">…and {plural(errors.length - SHOWN_PER_KIND, 'more error')}</li>}
        </ul>
      )}
      {notices.length > 0 && (
        <details className="file-notices" data-testid="file-notices" data-count={notices.length} open={notices.length <= 3}>
          <summary>
            {plural(notices.length, 'label')} dropped: loaded without {notices.length === 1 ? 'it' : 'them'}
          </summary>
          <ul className="file-errors">
            {notices.slice(0, SHOWN_PER_KIND).map((e, i) => (
              <li key={i} className="file-notice" data-testid="file-notice">
                {e.message}
              </li>
            ))}
            {notices.length > SHOWN_PER_KIND && <li className="muted">…and {plural(notices.length - SHOWN_PER_KIND, 'more notice')}</li>}
          </ul>
        </details>
      )}
    </>
  );
}

/** Above this many files the list starts folded (a count in its summary), so the trajectory list keeps its room. */
const FOLD_ABOVE = 5;

/** Open files, the list of loaded files, and their errors (inline, next to the file they concern). */
export function FilePanel() {
  const files = useAppStore((s) => s.files);
  const removeFile = useAppStore((s) => s.removeFile);
  const input = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  const labels = useFileLabels();
  // The reader's choice; until then the list is open for a few files, or while one is being read or has errors.
  const [openChoice, setOpenChoice] = useState<boolean | null>(null);
  const open = openChoice ?? (files.length <= FOLD_ABOVE || files.some((f) => f.status === 'parsing' || f.errors.length > 0));

  return (
    <section className="file-panel" aria-label="Loaded files">
      <div className="file-panel-actions">
        <button type="button" onClick={() => input.current?.click()}>
          Open files…
        </button>
        <input
          ref={input}
          data-testid="file-input"
          type="file"
          multiple
          accept=".json,.jsonl,.ndjson,.traj,.eval,.zip,.tar,.tgz,.gz,application/json,application/gzip,application/zip,application/x-tar"
          hidden
          onChange={(e) => {
            const picked = Array.from(e.currentTarget.files ?? []);
            e.currentTarget.value = '';
            void loadFiles(picked);
          }}
        />
        <button type="button" data-testid="open-folder" onClick={() => folderInput.current?.click()}>
          Open folder…
        </button>
        <input
          // A whole benchmark folder: each file keeps its path inside it (webkitRelativePath), so same-named files stay apart.
          ref={(el) => {
            folderInput.current = el;
            el?.setAttribute('webkitdirectory', '');
          }}
          data-testid="folder-input"
          type="file"
          multiple
          hidden
          onChange={(e) => {
            const picked = Array.from(e.currentTarget.files ?? []);
            e.currentTarget.value = '';
            void loadFolder(picked);
          }}
        />
        <span className="muted">or drop files or folders on the page</span>
        <span className="file-panel-session">
          <ClearSessionControl />
        </span>
      </div>
      <details
        className="file-list-details"
        data-testid="file-list-details"
        open={open}
        onToggle={(e) => {
          const now = e.currentTarget.open;
          if (now !== open) setOpenChoice(now);
        }}
      >
        <summary data-testid="file-count" data-count={files.length}>
          {plural(files.length, 'file')} open
        </summary>
      <ul className="file-list">
        {files.map((f) => (
          <li key={f.id} className={`file-item file-${f.status}`} data-testid="file-item" data-status={f.status}>
            <div className="file-line">
              <span className="file-name" title={f.name} data-path={f.name}>
                {labels.get(f.id) ?? f.name}
              </span>
              <span className="muted">
                {f.status === 'parsing'
                  ? `reading… ${f.size ? Math.round((100 * f.bytesRead) / f.size) : 0}%`
                  : `${plural(f.trajectoryKeys.length, 'trajectory')} · ${formatBytes(f.size)}`}
              </span>
              <button type="button" className="link-button" aria-label={`Close ${f.name}`} onClick={() => removeFile(f.id)}>
                ×
              </button>
            </div>
            <FileProblems problems={f.errors} />
          </li>
        ))}
      </ul>
      </details>
    </section>
  );
}
