/**
 * Best-of-N for one task: its scored trajectories side by side with score, reward and outcome, the
 * one best-of-N keeps (the core's choice: the highest score, ties to the first in list order), where
 * each parts ways with the chosen one, and each one's running advantage.
 */
import { useMemo, useState } from 'react';
import { useAppStore } from '../../state/store';
import { groupKeyOfEntry, useAnalysis, useAnalysisStore } from '../../state/analysis';
import { isSuccess, taskGroupKey } from '../../core/metrics/best-of-n';
import type { TrajectoryEvaluation } from '../../core/scores/evaluate';
import type { Message } from '../../core/trajectory/types';
import { firstDivergence } from './divergence';
import { buildSparkline } from './sparkline';
import { formatSigned } from '../dataset/format-metric';
import { openTrajectoryComparison, useCompareStore } from '../../state/compare';
import { TrajectoryComparison } from '../compare/TrajectoryComparison';
import '../curve/chart-theme.css';
import './group.css';

const SPARK_WIDTH = 200;
const SPARK_HEIGHT = 44;
const SNIPPET_CHARS = 90;

interface GroupMember {
  key: string;
  id: string;
  /** The loaded file the trajectory came from (groups are per file unless the settings merge files). */
  fileName: string;
  messages: Message[];
  evaluation: TrajectoryEvaluation;
}

export function GroupView({ taskId }: { taskId: string }) {
  const order = useAppStore((s) => s.trajectoryOrder);
  const trajectories = useAppStore((s) => s.trajectories);
  const selectedKey = useAppStore((s) => s.selectedKey);
  const predictor = useAnalysisStore((s) => s.predictor);
  const grouping = useAnalysisStore((s) => s.evaluation.grouping);
  const { report, byKey } = useAnalysis();
  // The selected trajectory's best-of-N group, by core's key (the task within its file unless the settings merge files).
  const selectedEntry = selectedKey ? trajectories[selectedKey] : undefined;
  const group = selectedEntry?.trajectory.taskId === taskId ? groupKeyOfEntry(selectedEntry, grouping) : taskGroupKey(taskId, null, grouping);

  const { members, unscored, files } = useMemo(() => {
    const inGroup = order.filter((k) => trajectories[k] && groupKeyOfEntry(trajectories[k], grouping) === group);
    const scored: GroupMember[] = [];
    const notScored: string[] = [];
    const fileNames = new Set<string>();
    for (const key of inGroup) {
      const evaluation = byKey.get(key);
      const { trajectory, fileName } = trajectories[key];
      fileNames.add(fileName);
      if (evaluation) scored.push({ key, id: trajectory.id, fileName, messages: trajectory.messages, evaluation });
      else notScored.push(trajectory.id);
    }
    return { members: scored, unscored: notScored, files: [...fileNames] };
  }, [order, trajectories, byKey, group, grouping]);

  // The core's choice for this group; its id is the evaluated id (ids repeated across files get a suffix).
  const memberIds = new Set(members.map((m) => m.evaluation.id));
  const choice = report.bestOfN?.chosen.find((c) => memberIds.has(c.id)) ?? null;
  const chosen = choice ? (members.find((m) => m.evaluation.id === choice.id) ?? null) : null;
  // Without a best-of-N choice (no rewards), divergence is measured from the first in list order.
  const reference = chosen ?? members[0] ?? null;
  const referenceName = chosen ? 'the chosen' : reference ? reference.id : '';
  const successes = members.filter((m) => m.evaluation.record.reward != null && isSuccess(m.evaluation.record.reward)).length;
  const rewarded = members.filter((m) => m.evaluation.record.reward != null).length;
  // Two members picked for the side-by-side reading (src/ui/compare/TrajectoryComparison.tsx); a third pick drops the older one.
  const [picked, setPicked] = useState<string[]>([]);
  const pickedHere = picked.filter((k) => members.some((m) => m.key === k));
  const togglePick = (key: string) => setPicked((p) => (p.includes(key) ? p.filter((k) => k !== key) : [...p.filter((k) => members.some((m) => m.key === k)), key].slice(-2)));
  const comparedPair = useCompareStore((s) => s.trajectories);
  const showsComparison = comparedPair !== null && members.some((m) => m.key === comparedPair.a) && members.some((m) => m.key === comparedPair.b);

  return (
    <section className="group-view" data-testid="group-view" data-task={taskId} data-files={files.length} aria-label={`Best-of-N group of task ${taskId}`}>
      <header className="group-header">
        <h2 className="pane-title">Task {taskId}</h2>
        <p className="muted" data-testid="group-files">
          {grouping === 'task'
            ? `Task ${taskId} across ${files.length === 1 ? 'one file' : `${files.length} files`} (files merged in the settings): ${files.join(', ')}`
            : `Task ${taskId} of ${files[0] ?? 'its file'} (groups are per file; the settings can merge files)`}
        </p>
        <p className="group-summary">
          {members.length} scored trajector{members.length === 1 ? 'y' : 'ies'}
          {rewarded > 0 && ` · ${successes} of ${rewarded} succeeded`}
          {choice && chosen && (
            <>
              {' · best-of-N keeps '}
              <strong>{chosen.id}</strong> ({isSuccess(choice.reward) ? 'a success' : 'a failure'})
            </>
          )}
        </p>
        {members.length > 0 && !choice && <p className="muted">Best-of-N needs rewards: no scored trajectory of this task has one. Divergence is measured from the first one.</p>}
        {members.length > 1 && (
          <p className="muted" data-testid="group-compare">
            Tick two trajectories to read them side by side from where they part ways.{' '}
            <button type="button" data-testid="group-compare-open" disabled={pickedHere.length !== 2} onClick={() => openTrajectoryComparison(pickedHere[0], pickedHere[1])}>
              Compare the two ticked
            </button>
          </p>
        )}
        {unscored.length > 0 && (
          <p className="muted">
            Not scored yet: {unscored.length} ({unscored.slice(0, 5).join(', ')}
            {unscored.length > 5 ? ', …' : ''})
          </p>
        )}
      </header>
      {showsComparison && <TrajectoryComparison />}
      {members.length === 0 ? (
        <p className="empty-state">Score the trajectories of this task to compare them.</p>
      ) : (
        <ol className="group-members">
          {members.map((member) => {
            const isChosen = member === chosen;
            const divergence = reference && member !== reference ? firstDivergence(reference.messages, member.messages) : null;
            return (
              <MemberCard
                key={member.key}
                member={member}
                isChosen={isChosen}
                isSelected={member.key === selectedKey}
                isReference={member === reference}
                referenceName={referenceName}
                divergence={divergence}
                decisiveMessage={member.evaluation.predicted[predictor]}
                picked={pickedHere.includes(member.key)}
                onPick={() => togglePick(member.key)}
              />
            );
          })}
        </ol>
      )}
    </section>
  );
}

function MemberCard({
  member,
  isChosen,
  isSelected,
  isReference,
  referenceName,
  divergence,
  decisiveMessage,
  picked,
  onPick,
}: {
  member: GroupMember;
  isChosen: boolean;
  isSelected: boolean;
  isReference: boolean;
  referenceName: string;
  divergence: number | null;
  decisiveMessage: number | null;
  /** Ticked for the side-by-side comparison. */
  picked: boolean;
  onPick: () => void;
}) {
  const { evaluation } = member;
  const reward = evaluation.record.reward;
  const decisivePosition = decisiveMessage === null ? null : evaluation.record.steps.findIndex((s) => s.message === decisiveMessage);
  // Drawn from 0 (before the first step), so that even a one-step trajectory shows its gain or loss.
  const spark = buildSparkline([0, ...evaluation.runningAdvantage], SPARK_WIDTH, SPARK_HEIGHT, decisivePosition === null || decisivePosition < 0 ? null : decisivePosition + 1);
  const select = () => useAppStore.getState().select(member.key);
  const divergedMessage = divergence === null ? undefined : member.messages[divergence];

  return (
    <li
      className={`group-member${isChosen ? ' group-member-chosen' : ''}${isSelected ? ' group-member-selected' : ''}`}
      data-testid={isChosen ? 'group-chosen' : 'group-member'}
      data-key={member.key}
      data-id={member.id}
      data-diverges-at={divergence ?? ''}
      tabIndex={0}
      role="button"
      aria-pressed={isSelected}
      aria-label={`${member.id}${isChosen ? ', chosen by best-of-N' : ''}`}
      onClick={select}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          select();
        }
      }}
    >
      <div className="member-title">
        <span className="member-id" title={member.id}>
          {member.id}
        </span>
        <span className="member-file muted" data-testid="group-member-file">
          {member.fileName}
        </span>
        {isChosen && <span className="badge member-chosen-badge">best-of-N choice</span>}
        <label className="member-pick muted" onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.stopPropagation()}>
          <input type="checkbox" data-testid="group-compare-pick" checked={picked} onChange={onPick} /> compare
        </label>
      </div>
      <dl className="member-facts">
        <dt>score</dt>
        <dd>{evaluation.score === null ? '— (no scored step)' : formatSigned(evaluation.score)}</dd>
        <dt>reward</dt>
        <dd>
          {reward == null ? (
            '—'
          ) : (
            <>
              {reward}{' '}
              <span className={`badge ${isSuccess(reward) ? 'badge-success' : 'badge-failure'}`}>{isSuccess(reward) ? 'success' : 'failure'}</span>
            </>
          )}
        </dd>
        <dt>steps</dt>
        <dd>
          {evaluation.stepScores.length}
          {evaluation.unscoredSteps > 0 && ` (${evaluation.unscoredSteps} unscored)`}
        </dd>
        <dt>decisive</dt>
        <dd>{decisiveMessage === null ? '—' : `message ${decisiveMessage}`}</dd>
      </dl>
      <p className="member-divergence" data-testid="group-divergence">
        {isReference ? (
          isChosen ? (
            'the others are compared with this one'
          ) : (
            'the others are compared with this one (the first)'
          )
        ) : divergence === null ? (
          `identical to ${referenceName}`
        ) : (
          <>
            diverges from {referenceName} at message {divergence}
            {divergedMessage ? (
              <span className="member-snippet">
                {' '}
                ({divergedMessage.role}: {snippet(divergedMessage)})
              </span>
            ) : (
              <span className="member-snippet"> (ends there; {referenceName} goes on)</span>
            )}
          </>
        )}
      </p>
      <span className="member-spark-caption">
        running advantage{spark.marked && <span className="member-spark-decisive"> · ● decisive step</span>}
      </span>
      <svg className="member-sparkline" width={spark.width} height={spark.height} role="img" aria-label={`Running advantage of ${member.id}`}>
        <line className="sparkline-zero" x1={0} x2={spark.width} y1={spark.zeroY} y2={spark.zeroY} />
        <path className="sparkline-line" d={spark.path} />
        {spark.marked && <circle className="sparkline-decisive" cx={spark.marked.x} cy={spark.marked.y} r={3} />}
      </svg>
    </li>
  );
}

/** The first words of a message (or of its first tool call), on one line. */
function snippet(message: Message): string {
  const call = message.toolCalls?.[0];
  const text = message.content.trim() !== '' ? message.content : call ? `${call.name}(${JSON.stringify(call.arguments)})` : '';
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > SNIPPET_CHARS ? `${oneLine.slice(0, SNIPPET_CHARS)}…` : oneLine || '(empty)';
}
