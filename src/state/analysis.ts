/**
 * Analysis settings (one panel updates every view at once) and the evaluation derived from the
 * scored trajectories. Every number the views show comes from `evaluateRecords` in src/core, the
 * same code the CLI's `eval` runs, so page and CLI agree exactly.
 */
import { useMemo } from 'react';
import { z } from 'zod';
import { create } from 'zustand';
import { evaluateRecords, type EvaluationOptions, type EvaluationReport, type TrajectoryEvaluation } from '../core/scores/evaluate';
import type { ParsedScoreRecord } from '../core/scores/format';
import { analysisSettingsSchema, DEFAULT_ANALYSIS_SETTINGS, type AnalysisSettings } from '../core/settings';
import { persist, persistWhole } from './persisted';
import { useAppStore, type LoadedTrajectory } from './store';
import { taskGroupKey, type TaskGrouping } from '../core/metrics/best-of-n';
import { scoreWithContextPolicyOf, useScoringStore } from './scoring';
import { contextPolicyOf } from '../core/scoring/context-policy';
import { DEMO_BETA } from '../core/models/presets';

/** The settings, their bounds and defaults are declared in src/core/settings (one schema for the app, the files, the links and the CLI). */
export { DEFAULT_ANALYSIS_SETTINGS, type AnalysisSettings };

export const useAnalysisStore = create<AnalysisSettings>()(() => DEFAULT_ANALYSIS_SETTINGS);

/** The session keeps every analysis setting, under `analysis`. */
// Scoring jobs read the context policy from here (a setting, carried by sessions, bundles and links).
scoreWithContextPolicyOf(() => contextPolicyOf(useAnalysisStore.getState()));

export const analysisPersistence = persistWhole(useAnalysisStore, 'analysis', analysisSettingsSchema);

export function setEvaluationOptions(patch: Partial<EvaluationOptions>): void {
  useAnalysisStore.setState((s) => ({ evaluation: { ...s.evaluation, ...patch } }));
}

export function setAnalysisSettings(patch: Partial<Omit<AnalysisSettings, 'evaluation'>>): void {
  useAnalysisStore.setState(patch);
}

/**
 * The source a loaded trajectory's best-of-N group is keyed by: its file (the loaded file's id, so two
 * files of one name stay apart). Core's `taskGroupKey` turns it and the task id into the group.
 */
export function sourceOfEntry(entry: Pick<LoadedTrajectory, 'fileId'>): string {
  return `file ${entry.fileId}`;
}

/** The best-of-N group of a loaded trajectory (scored or not) under the settings' grouping; null: none (no task id). */
export function groupKeyOfEntry(entry: Pick<LoadedTrajectory, 'fileId' | 'trajectory'>, grouping: TaskGrouping): string | null {
  return taskGroupKey(entry.trajectory.taskId, sourceOfEntry(entry), grouping);
}

/**
 * Scored trajectories in list order, as the records the core evaluates (line = position + 1), each
 * with its source file (best-of-N groups are per file unless the settings merge files).
 */
export function scoredRecordsInOrder(
  order: readonly string[],
  results: ReturnType<typeof useScoringStore.getState>['results'],
  trajectories: Readonly<Record<string, LoadedTrajectory>> = useAppStore.getState().trajectories,
): { keys: string[]; records: ParsedScoreRecord[] } {
  const keys: string[] = [];
  const records: ParsedScoreRecord[] = [];
  const seen = new Set<string>();
  for (const key of order) {
    const result = results[key];
    if (!result) continue;
    keys.push(key);
    // Ids are unique within a file, not across files: the core rejects repeats, so disambiguate.
    const id = seen.has(result.record.id) ? `${result.record.id}@${key}` : result.record.id;
    seen.add(id);
    const entry = trajectories[key];
    records.push({
      line: records.length + 1,
      record: id === result.record.id ? result.record : { ...result.record, id },
      ...(entry ? { source: sourceOfEntry(entry) } : {}),
    });
  }
  return { keys, records };
}

export interface Analysis {
  report: EvaluationReport;
  /** Evaluation of each scored trajectory by its key. */
  byKey: Map<string, TrajectoryEvaluation>;
}

/** The evaluation of everything scored so far, recomputed when results or settings change. */
export function useAnalysis(): Analysis {
  const order = useAppStore((s) => s.trajectoryOrder);
  const trajectories = useAppStore((s) => s.trajectories);
  const results = useScoringStore((s) => s.results);
  const options = useAnalysisStore((s) => s.evaluation);
  return useMemo(() => sharedAnalysis(order, results, options, trajectories), [order, results, options, trajectories]);
}

/** The last analysis computed: the views that show it (list, curve, transcript, scoring bar) share one computation per change. */
let lastAnalysis: { inputs: readonly unknown[]; analysis: Analysis } | null = null;

function sharedAnalysis(
  order: readonly string[],
  results: ReturnType<typeof useScoringStore.getState>['results'],
  options: EvaluationOptions,
  trajectories: Readonly<Record<string, LoadedTrajectory>>,
): Analysis {
  const inputs = [order, results, options, trajectories];
  if (lastAnalysis && lastAnalysis.inputs.every((input, i) => input === inputs[i])) return lastAnalysis.analysis;
  const analysis = computeAnalysis(order, results, options, trajectories);
  lastAnalysis = { inputs, analysis };
  return analysis;
}

export function computeAnalysis(
  order: readonly string[],
  results: ReturnType<typeof useScoringStore.getState>['results'],
  options: EvaluationOptions,
  trajectories: Readonly<Record<string, LoadedTrajectory>> = useAppStore.getState().trajectories,
): Analysis {
  const { keys, records } = scoredRecordsInOrder(order, results, trajectories);
  const report = evaluateRecords(records, options);
  const byKey = new Map<string, TrajectoryEvaluation>();
  const keyByLine = new Map(records.map((r, i) => [r.line, keys[i]] as const));
  for (const t of report.trajectories) {
    const key = keyByLine.get(t.line);
    if (key) byKey.set(key, t);
  }
  return { report, byKey };
}

/** Linked views: the step the user pointed at (hover) or chose (click), in any view. */
export const stepFocusSchema = z.object({
  /** Trajectory key. */
  key: z.string(),
  /** Message index of the step. */
  message: z.number().int().nonnegative(),
});
export type StepFocus = z.infer<typeof stepFocusSchema>;

/** A run of scored tokens inside one step: indices into the step's tokens, `start` ≤ i < `end`. */
export const tokenRangeSchema = stepFocusSchema.extend({ start: z.number().int().nonnegative(), end: z.number().int().positive() });
export type TokenRange = z.infer<typeof tokenRangeSchema>;

export interface LinkedViewState {
  hovered: StepFocus | null;
  /** A click: the transcript scrolls to it and the curve marks it. */
  selected: StepFocus | null;
  /** Tokens the user marked (click, shift-click) or a link named; highlighted in the transcript. */
  tokenRange: TokenRange | null;
  /** Trajectory keys overlaid on the step curve with the selected one (same task). */
  overlay: string[];
}

export const useLinkedViewStore = create<LinkedViewState>()(() => ({ hovered: null, selected: null, tokenRange: null, overlay: [] }));

/** The session keeps the chosen step and token range (not the hover, not the overlay); those of trajectories no longer loaded are dropped. */
export const linkedViewPersistence = persist({
  store: useLinkedViewStore,
  fields: { selectedStep: stepFocusSchema.nullable(), tokenRange: tokenRangeSchema.nullable() },
  watch: ['selected', 'tokenRange'],
  live: (s: LinkedViewState) => ({ selectedStep: s.selected, tokenRange: s.tokenRange }),
  save: (live) => live,
  restore: (saved, context) => ({
    selected: saved.selectedStep && context.hasTrajectory(saved.selectedStep.key) ? saved.selectedStep : null,
    tokenRange: saved.tokenRange && context.hasTrajectory(saved.tokenRange.key) ? saved.tokenRange : null,
  }),
});

export function hoverStep(focus: StepFocus | null): void {
  useLinkedViewStore.setState({ hovered: focus });
}

export function selectStep(focus: StepFocus | null): void {
  useLinkedViewStore.setState({ selected: focus });
}

export function selectTokenRange(range: TokenRange | null): void {
  useLinkedViewStore.setState({ tokenRange: range });
}

export function setOverlay(keys: string[]): void {
  useLinkedViewStore.setState({ overlay: keys });
}

/**
 * After a pair loads: the demo pair was trained with β = DEMO_BETA, so its advantages are read with
 * that β (then β·log(π_θ/π_ref) is on the scale of the exact A*). The user can change it after.
 */
export function applyPairDefaults(): void {
  const { choice, modelState } = useScoringStore.getState();
  if (modelState === 'ready' && choice.kind === 'demo') setEvaluationOptions({ beta: DEMO_BETA });
}
