import { useMemo, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { LoadedTrajectory } from '../../state/store';
import type { Message, Trajectory } from '../../core/trajectory/types';
import { MessageCard } from './MessageCard';
import { formatReward } from '../format';
import { useScoringStore } from '../../state/scoring';

/** One trajectory as a readable transcript: messages virtualized, action steps numbered. */
export function Transcript({ entry }: { entry: LoadedTrajectory }) {
  const t = entry.trajectory;
  const stepNumberOf = useMemo(() => new Map(t.actionSteps.map((m, k) => [m, k] as const)), [t]);
  const result = useScoringStore((s) => s.results[entry.key]);
  const scoredStepOf = useMemo(() => new Map(result?.record.steps.map((step) => [step.message, step] as const) ?? []), [result]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: t.messages.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 120,
    overscan: 4,
  });

  return (
    <section className="transcript" data-testid="transcript" aria-label={`Transcript of ${t.id}`}>
      <TranscriptHeader trajectory={t} fileName={entry.fileName} />
      <div ref={scroller} className="transcript-scroller">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const message: Message = t.messages[item.index];
            return (
              <div
                key={`${entry.key}-${item.index}`}
                data-index={item.index}
                ref={virtualizer.measureElement}
                style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${item.start}px)` }}
              >
                <MessageCard
                  index={item.index}
                  message={message}
                  stepNumber={stepNumberOf.get(item.index)}
                  isLabelledMistake={t.labels.mistakeStep === item.index}
                  scoredStep={scoredStepOf.get(item.index)}
                />
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}

function TranscriptHeader({ trajectory: t, fileName }: { trajectory: Trajectory; fileName: string }) {
  const { reward, success, mistakeStep, mistakeAgent } = t.labels;
  return (
    <header className="transcript-header">
      <h2 className="pane-title">{t.id}</h2>
      <dl className="facts">
        <dt>file</dt>
        <dd>{fileName}</dd>
        <dt>format</dt>
        <dd>{t.format}</dd>
        {t.taskId !== undefined && (
          <>
            <dt>task</dt>
            <dd>{t.taskId}</dd>
          </>
        )}
        <dt>messages</dt>
        <dd>{t.messages.length}</dd>
        <dt>action steps</dt>
        <dd>{t.actionSteps.length}</dd>
        {reward !== undefined && (
          <>
            <dt>reward</dt>
            <dd>{formatReward(reward)}</dd>
          </>
        )}
        {success !== undefined && (
          <>
            <dt>outcome</dt>
            <dd>{success ? 'success' : 'failure'}</dd>
          </>
        )}
        {mistakeStep !== undefined && (
          <>
            <dt>labelled mistake</dt>
            <dd>
              message {mistakeStep}
              {mistakeAgent ? ` by ${mistakeAgent}` : ''}
            </dd>
          </>
        )}
      </dl>
    </header>
  );
}
