import { useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useAppStore } from '../../state/store';
import type { LoadedTrajectory } from '../../state/store';
import { formatReward } from '../format';

const ROW_HEIGHT = 52;

/** Every loaded trajectory, virtualized: format, task, number of action steps and the label. */
export function TrajectoryList() {
  const order = useAppStore((s) => s.trajectoryOrder);
  const trajectories = useAppStore((s) => s.trajectories);
  const selectedKey = useAppStore((s) => s.selectedKey);
  const select = useAppStore((s) => s.select);
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: order.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
  });

  const move = (delta: number) => {
    if (order.length === 0) return;
    const at = selectedKey ? order.indexOf(selectedKey) : -1;
    const next = Math.min(order.length - 1, Math.max(0, at + delta));
    select(order[next]);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  };

  return (
    <section className="trajectory-list" aria-label="Trajectories">
      <h2 className="pane-title">
        Trajectories{' '}
        <span className="muted" data-testid="trajectory-count" data-count={order.length}>
          ({order.length})
        </span>
      </h2>
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
          else if (e.key === 'Home') (e.preventDefault(), move(-order.length));
          else if (e.key === 'End') (e.preventDefault(), move(order.length));
        }}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const entry = trajectories[order[item.index]];
            return (
              <TrajectoryRow
                key={entry.key}
                entry={entry}
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

function TrajectoryRow({ entry, selected, top, onSelect }: { entry: LoadedTrajectory; selected: boolean; top: number; onSelect: () => void }) {
  const t = entry.trajectory;
  const { success, reward, mistakeStep, mistakeAgent } = t.labels;
  return (
    <div
      id={`row-${entry.key}`}
      role="option"
      aria-selected={selected}
      className={`trajectory-row${selected ? ' selected' : ''}`}
      data-testid="trajectory-row"
      data-format={t.format}
      data-id={t.id}
      style={{ position: 'absolute', top, left: 0, right: 0, height: ROW_HEIGHT }}
      onClick={onSelect}
    >
      <div className="row-line">
        <span className="row-id" title={t.id}>
          {t.id}
        </span>
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
        <span>{t.actionSteps.length} steps</span>
        {reward !== undefined && <span>reward {formatReward(reward)}</span>}
        {mistakeStep !== undefined && (
          <span title="labelled decisive mistake">
            mistake @{mistakeStep}
            {mistakeAgent ? ` (${mistakeAgent})` : ''}
          </span>
        )}
      </div>
    </div>
  );
}
