import { useEffect, useMemo, useRef } from 'react';
import '../notes/notes.css';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRevealRows } from '../reveal-rows';
import { useAppStore } from '../../state/store';
import type { LoadedTrajectory } from '../../state/store';
import { DEFAULT_LIST_FILTERS, setListFilters, useListStore, useVisibleKeys, type MistakeFilter, type OutcomeFilter, type SortOrder } from '../../state/list-view';
import { useAnalysis, useAnalysisStore } from '../../state/analysis';
import type { TrajectoryEvaluation } from '../../core/scores/evaluate';
import { formatReward } from '../format';
import { plural } from '../plural';
import { describeTrajectory } from '../../core/trajectory/describe';
import { useFileLabels } from '../files/use-file-labels';
import { tagsInUse, useNotesByKey, useNotesStore } from '../../state/notes';
import { PRESET_NOTE_TAGS } from '../../core/notes';

const ROW_HEIGHT = 70;

/** Every loaded trajectory that passes the filters, virtualized: format, task, steps, label, score, decisive step. */
export function TrajectoryList() {
  const visible = useVisibleKeys();
  const total = useAppStore((s) => s.trajectoryOrder.length);
  const trajectories = useAppStore((s) => s.trajectories);
  const selectedKey = useAppStore((s) => s.selectedKey);
  const select = useAppStore((s) => s.select);
  const { byKey } = useAnalysis();
  const predictor = useAnalysisStore((s) => s.predictor);
  const notesByKey = useNotesByKey();
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: visible.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
  });

  const move = (delta: number) => {
    if (visible.length === 0) return;
    const at = selectedKey ? visible.indexOf(selectedKey) : -1;
    const next = Math.min(visible.length - 1, Math.max(0, at + delta));
    // useRevealRows below scrolls the new selection into view.
    select(visible[next]);
  };

  // A selection made elsewhere (a link, n/p, the demo's first trajectory, a restored session) is
  // scrolled into view, and again when filters hide and show it or notices resize the list;
  // scrolling the list by hand afterwards is left alone (src/ui/reveal-rows.ts).
  const selectedIndex = selectedKey ? visible.indexOf(selectedKey) : -1;
  useRevealRows(virtualizer, scroller, selectedKey, selectedIndex < 0 ? null : { first: selectedIndex, last: selectedIndex }, 'auto');
  // New filters or a new order show the list from its first row, unless the open trajectory is
  // listed (then it is revealed above): not wherever the old list's scroll position lands.
  const filters = useListStore();
  const shownFilters = useRef(filters);
  useEffect(() => {
    if (shownFilters.current === filters) return;
    shownFilters.current = filters;
    if (selectedIndex < 0) virtualizer.scrollToOffset(0);
  }, [filters, selectedIndex, virtualizer]);

  return (
    <section className="trajectory-list" aria-label="Trajectories">
      <h2 className="pane-title">
        Trajectories{' '}
        <span className="muted" data-testid="trajectory-count" data-count={total} data-visible={visible.length}>
          ({visible.length === total ? total : `${visible.length} of ${total}`})
        </span>
      </h2>
      <ListFilterBar />
      <FilterNotice total={total} visible={visible.length} hiddenSelection={selectedKey !== null && selectedIndex < 0 && total > 0 ? (trajectories[selectedKey]?.trajectory.id ?? null) : null} />
      <div
        ref={scroller}
        className="trajectory-scroller"
        role="listbox"
        data-testid="trajectory-list"
        tabIndex={0}
        aria-activedescendant={selectedKey ? `row-${selectedKey}` : undefined}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') (e.preventDefault(), move(1));
          else if (e.key === 'ArrowUp') (e.preventDefault(), move(-1));
          else if (e.key === 'Home') (e.preventDefault(), move(-visible.length));
          else if (e.key === 'End') (e.preventDefault(), move(visible.length));
        }}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const entry = trajectories[visible[item.index]];
            return (
              <TrajectoryRow
                key={entry.key}
                entry={entry}
                evaluation={byKey.get(entry.key)}
                predictor={predictor}
                noteCount={notesByKey.get(entry.key)?.length ?? 0}
                selected={entry.key === selectedKey}
                top={item.start}
                onSelect={() => select(entry.key)}
              />
            );
          })}
        </div>
      </div>
    </section>
  );
}

/** Clears the filters; the sort stays. */
function clearFilters(): void {
  const { sort } = useListStore.getState();
  setListFilters({ ...DEFAULT_LIST_FILTERS, sort });
}

/**
 * Says when the filters hide the open trajectory (the transcript shows one the list does not), or
 * match nothing (a restored filter, say), with a way to show everything again.
 */
function FilterNotice({ total, visible, hiddenSelection }: { total: number; visible: number; hiddenSelection: string | null }) {
  if (total > 0 && visible === 0)
    return (
      <p className="notice list-notice" role="status" data-testid="list-filter-notice" data-kind="none-match">
        No trajectory matches the filters ({total} loaded).{' '}
        <button type="button" className="link-button" data-testid="list-clear-filters" onClick={clearFilters}>
          clear the filters
        </button>
      </p>
    );
  if (hiddenSelection === null) return null;
  return (
    <p className="notice list-notice" role="status" data-testid="list-filter-notice" data-kind="selection-hidden">
      The open trajectory <b>{hiddenSelection}</b> is hidden by the filters.{' '}
      <button type="button" className="link-button" data-testid="list-clear-filters" onClick={clearFilters}>
        clear the filters
      </button>
    </p>
  );
}

function ListFilterBar() {
  const filters = useListStore();
  const files = useAppStore((s) => s.files);
  const fileLabels = useFileLabels();
  const trajectories = useAppStore((s) => s.trajectories);
  // O(trajectories): recomputed only when the trajectories change, never on other store updates.
  const formats = useMemo(() => [...new Set(Object.values(trajectories).map((t) => t.trajectory.format))].sort(), [trajectories]);
  return (
    <div className="list-filters" data-testid="list-filters">
      <input
        type="search"
        placeholder="search messages…"
        aria-label="Search message text"
        data-testid="filter-search"
        value={filters.search}
        onChange={(e) => setListFilters({ search: e.currentTarget.value })}
      />
      <select aria-label="File" data-testid="filter-file" value={String(filters.fileId)} onChange={(e) => setListFilters({ fileId: e.currentTarget.value === 'all' ? 'all' : Number(e.currentTarget.value) })}>
        <option value="all">all files</option>
        {files.map((f) => (
          <option key={f.id} value={f.id} title={f.name}>
            {fileLabels.get(f.id) ?? f.name}
          </option>
        ))}
      </select>
      <select aria-label="Format" data-testid="filter-format" value={filters.format} onChange={(e) => setListFilters({ format: e.currentTarget.value })}>
        <option value="all">all formats</option>
        {formats.map((f) => (
            <option key={f}>{f}</option>
          ))}
      </select>
      <input type="text" placeholder="task…" aria-label="Task" data-testid="filter-task" value={filters.task} onChange={(e) => setListFilters({ task: e.currentTarget.value })} />
      <select aria-label="Outcome" data-testid="filter-outcome" value={filters.outcome} onChange={(e) => setListFilters({ outcome: e.currentTarget.value as OutcomeFilter })}>
        <option value="all">any outcome</option>
        <option value="success">success</option>
        <option value="failure">failure</option>
        <option value="unlabelled">no label</option>
      </select>
      <select aria-label="Labelled mistake" data-testid="filter-mistake" value={filters.mistake} onChange={(e) => setListFilters({ mistake: e.currentTarget.value as MistakeFilter })}>
        <option value="all">mistake: any</option>
        <option value="labelled">labelled mistake</option>
        <option value="unlabelled">no mistake label</option>
      </select>
      <NotesFilter />
      <select aria-label="Sort" data-testid="sort-order" value={filters.sort} onChange={(e) => setListFilters({ sort: e.currentTarget.value as SortOrder })}>
        <option value="loaded">load order</option>
        <option value="score-desc">score, high → low</option>
        <option value="score-asc">score, low → high</option>
      </select>
    </div>
  );
}

/** "with notes", or with a note carrying a tag (presets and the tags in use). */
function NotesFilter() {
  const { notes, noteTag } = useListStore();
  const all = useNotesStore((s) => s.notes);
  const tags = useMemo(() => [...new Set<string>([...PRESET_NOTE_TAGS, ...tagsInUse(all)])], [all]);
  const value = notes === 'any' ? 'any' : noteTag === '' ? 'with-notes' : `tag:${noteTag}`;
  return (
    <select
      aria-label="Notes"
      data-testid="filter-notes"
      value={value}
      onChange={(e) => {
        const v = e.currentTarget.value;
        setListFilters(v === 'any' ? { notes: 'any', noteTag: '' } : v === 'with-notes' ? { notes: 'with-notes', noteTag: '' } : { notes: 'with-notes', noteTag: v.slice('tag:'.length) });
      }}
    >
      <option value="any">notes: any</option>
      <option value="with-notes">with notes</option>
      {tags.map((tag) => (
        <option key={tag} value={`tag:${tag}`}>
          tagged {tag}
        </option>
      ))}
      {noteTag !== '' && !tags.includes(noteTag) && <option value={`tag:${noteTag}`}>tagged {noteTag}</option>}
    </select>
  );
}

function TrajectoryRow({
  entry,
  evaluation,
  predictor,
  noteCount,
  selected,
  top,
  onSelect,
}: {
  entry: LoadedTrajectory;
  evaluation: TrajectoryEvaluation | undefined;
  predictor: keyof TrajectoryEvaluation['predicted'];
  noteCount: number;
  selected: boolean;
  top: number;
  onSelect: () => void;
}) {
  const t = entry.trajectory;
  const { success, reward, mistakeStep, mistakeAgent } = t.labels;
  const decisive = evaluation?.predicted[predictor] ?? null;
  return (
    <div
      id={`row-${entry.key}`}
      role="option"
      aria-selected={selected}
      className={`trajectory-row${selected ? ' selected' : ''}`}
      data-testid="trajectory-row"
      data-key={entry.key}
      data-format={t.format}
      data-id={t.id}
      style={{ position: 'absolute', top, left: 0, right: 0, height: ROW_HEIGHT }}
      onClick={onSelect}
    >
      <div className="row-line">
        <span className="row-id" title={t.id}>
          {t.id}
        </span>
        {evaluation && evaluation.score !== null && (
          <span className="row-score" data-testid="row-score" data-value={evaluation.score}>
            {evaluation.score.toFixed(3)}
          </span>
        )}
        {evaluation && evaluation.score === null && (
          // Scored, but no step got figures (beyond the context, refused, cancelled): no score, not 0.
          <span className="row-score row-score-none" data-testid="row-score" data-value="" title="no scored step: no score">
            —
          </span>
        )}
        {success !== undefined && (
          <span className={`badge ${success ? 'badge-success' : 'badge-failure'}`} data-testid="row-outcome">
            {success ? '✓ success' : '✗ failure'}
          </span>
        )}
      </div>
      <div className="row-line muted">
        <span className="badge badge-format">{t.format}</span>
        {t.taskId !== undefined && (
          <span className="row-task" title={`task ${t.taskId}`}>
            task {t.taskId}
          </span>
        )}
        <span>{plural(t.actionSteps.length, 'step')}</span>
        {evaluation && evaluation.unscoredSteps > 0 && (
          <span className="row-unscored" data-testid="row-unscored" data-count={evaluation.unscoredSteps} title="action steps the models did not score (beyond the context, refused, cancelled)">
            {evaluation.unscoredSteps} unscored
          </span>
        )}
        {reward !== undefined && <span>reward {formatReward(reward)}</span>}
        {decisive !== null && (
          <span className="row-decisive" data-testid="row-decisive" data-message={decisive} title={`decisive step predicted by ${predictor}`}>
            ◆ @{decisive}
          </span>
        )}
        {mistakeStep !== undefined && (
          <span title={`labelled decisive mistake${mistakeAgent ? ` by ${mistakeAgent}` : ''}`}>✗ @{mistakeStep}</span>
        )}
        {noteCount > 0 && (
          <span className="row-notes" data-testid="row-notes" data-count={noteCount} title="notes on its steps and tokens">
            ✎ {plural(noteCount, 'note')}
          </span>
        )}
      </div>
      <RowSummary entry={entry} />
    </div>
  );
}

/** What a person recognises the trajectory by: its task where the file says it, and the first user words. */
function RowSummary({ entry }: { entry: LoadedTrajectory }) {
  const { task, firstUserWords } = useMemo(() => describeTrajectory(entry.trajectory), [entry.trajectory]);
  const words = firstUserWords !== undefined && firstUserWords !== task ? firstUserWords : undefined;
  if (task === undefined && words === undefined) return null;
  return (
    <div className="row-line row-summary" data-testid="row-summary" title={[task, words].filter(Boolean).join('\n')}>
      {task !== undefined && <span className="row-summary-task">{task}</span>}
      {words !== undefined && <span className="row-summary-words muted">“{words}”</span>}
    </div>
  );
}
