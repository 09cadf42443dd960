/**
 * The share and export actions behind the buttons: bundles, HTML reports, SVG/PNG images and
 * snippet links. Each reads the stores when called (no subscriptions) and throws an Error with a
 * sentence the UI shows when there is nothing to export.
 */
import { useAppStore } from '../../state/store';
import { useScoringStore } from '../../state/scoring';
import { scoredRecordsInOrder, useAnalysisStore, useLinkedViewStore } from '../../state/analysis';
import { APP_NAME, APP_VERSION, describeModelPair, exportBundleBytes, modelPairOfResult, currentModelPair } from '../../state/bundles';
import { evaluateRecords, evaluateTrajectory, sweepAggregations, type SweepMetric, type TrajectoryEvaluation } from '../../core/scores/evaluate';
import { BUNDLE_FILE_SUFFIX } from '../../core/bundle';
import { encodeSnippet, type EncodedSnippet } from '../../core/snippet';
import { linkedSettingsOf } from '../../core/settings';
import { stepTokenTexts } from '../transcript/transcript-rows';
import { curveSvg } from './images/curve-svg';
import { methodLabel } from '../../core/advantage/method-label';
import { heatmapSvg, type HeatmapStep } from './images/heatmap-svg';
import { heatmapRangeOf } from '../heatmap/heatmap-range';
import { rocSvg } from './images/roc-svg';
import { sweepSvg } from './images/sweep-svg';
import { buildReport, type ReportSource } from './report-data';
import { safeFileName, settingsLine, SWEEP_METRIC_WORDS } from './describe';
import { downloadBlob, downloadText } from './download';
import { svgToPng } from './png';
import { plural } from '../plural';
import { importNotesJsonLines, notesByKey, notesJsonLinesOf, useNotesStore, type NotesImport } from '../../state/notes';
import { MAX_NOTES_FILE_BYTES } from '../../core/notes';

export type ImageFormat = 'svg' | 'png';

/** A set report holds at most this many trajectories in full (the file stays openable); it says so when it cuts. */
export const MAX_REPORT_TRAJECTORIES = 300;

function settingsNow() {
  const { evaluation, predictor, colourRange } = useAnalysisStore.getState();
  return { evaluation, predictor, colourRange };
}

/** The heatmap range of these trajectories' scores (fitted or fixed, as the settings say): the one the transcript shows for one trajectory. */
function rangeOfKeys(keys: readonly string[]): number {
  const { results } = useScoringStore.getState();
  return heatmapRangeOf(keys.flatMap((key) => (results[key] ? [results[key].record] : [])));
}

/** The evaluation of one scored trajectory under the current settings, or undefined. */
function evaluationOf(key: string): TrajectoryEvaluation | undefined {
  const result = useScoringStore.getState().results[key];
  if (!result) return undefined;
  try {
    return evaluateTrajectory({ line: 1, record: result.record }, useAnalysisStore.getState().evaluation);
  } catch {
    return undefined; // the chosen method cannot score this record (e.g. no top-20 log-probs)
  }
}

/** The pair that scored a trajectory in words, with β (the analysis setting the figures are shown with). */
function modelPairWordsOf(key: string): string {
  const result = useScoringStore.getState().results[key];
  return result ? describeModelPair(modelPairOfResult(result), useAnalysisStore.getState().evaluation.beta) : 'not scored';
}

/** The pairs of every scored trajectory, in words (dataset images). */
function modelPairWordsOfAll(): string {
  const current = currentModelPair();
  const beta = useAnalysisStore.getState().evaluation.beta;
  const words = new Set(Object.values(useScoringStore.getState().results).map((r) => describeModelPair(modelPairOfResult(r, current), beta)));
  return words.size === 0 ? 'none' : [...words].join('; ');
}

function entryOf(key: string) {
  const entry = useAppStore.getState().trajectories[key];
  if (!entry) throw new Error('that trajectory is no longer loaded');
  return entry;
}

async function saveImage(svg: string, baseName: string, format: ImageFormat): Promise<void> {
  if (format === 'svg') downloadText(svg, `${baseName}.svg`, 'image/svg+xml');
  else downloadBlob(await svgToPng(svg), `${baseName}.png`);
}

export async function exportCurveImage(key: string, format: ImageFormat): Promise<void> {
  const entry = entryOf(key);
  const evaluation = evaluationOf(key);
  if (!evaluation) throw new Error('score this trajectory first');
  const settings = settingsNow();
  const { results } = useScoringStore.getState();
  const { trajectories } = useAppStore.getState();
  const taskId = entry.trajectory.taskId;
  // The overlays the curve view shows (same task, scored), as it labels them.
  const overlays = useLinkedViewStore
    .getState()
    .overlay.filter((k) => k !== key && taskId !== undefined && trajectories[k]?.trajectory.taskId === taskId && results[k])
    .flatMap((k) => {
      const other = evaluationOf(k);
      if (!other) return [];
      const reward = other.record.reward;
      return [{ key: k, label: reward == null ? other.id : `${other.id} (reward ${reward})`, runningAdvantage: other.runningAdvantage }];
    });
  const svg = curveSvg({
    curve: {
      stepMessages: evaluation.record.steps.map((s) => s.message),
      stepScores: evaluation.stepScores,
      runningAdvantage: evaluation.runningAdvantage,
      decisiveMessage: evaluation.predicted[settings.predictor],
      mistakeMessage: entry.trajectory.labels.mistakeStep ?? evaluation.record.mistakeStep ?? null,
      overlays,
    },
    trajectoryId: entry.trajectory.id,
    modelPair: modelPairWordsOf(key),
    settings: settingsLine(settings),
    predictor: settings.predictor,
    method: methodLabel(settings.evaluation.method, settings.evaluation.mode),
  });
  await saveImage(svg, `${safeFileName(entry.trajectory.id)}.step-curve`, format);
}

/** Steps `fromStep`…`toStep` (1-based positions among the action steps, inclusive) that have token figures. */
export function heatmapSteps(key: string, fromStep: number, toStep: number): HeatmapStep[] {
  const entry = entryOf(key);
  const result = useScoringStore.getState().results[key];
  if (!result) throw new Error('score this trajectory first');
  const evaluation = evaluationOf(key);
  const positionOf = new Map(entry.trajectory.actionSteps.map((m, k) => [m, k + 1] as const));
  return result.record.steps.flatMap((step, index) => {
    const stepNumber = positionOf.get(step.message);
    if (stepNumber === undefined || stepNumber < fromStep || stepNumber > toStep || step.policy.length === 0) return [];
    const texts = stepTokenTexts(step);
    const agent = step.agent ?? entry.trajectory.messages[step.message]?.name;
    return [
      {
        stepNumber,
        message: step.message,
        ...(agent ? { agent } : {}),
        score: evaluation?.stepScores[index] ?? null,
        tokens: step.policy.map((policy, i) => ({ text: texts[i] ?? '', policy, reference: step.reference[i] })),
      },
    ];
  });
}

export async function exportHeatmapImage(key: string, fromStep: number, toStep: number, format: ImageFormat): Promise<void> {
  const entry = entryOf(key);
  const steps = heatmapSteps(key, fromStep, toStep);
  if (steps.length === 0) throw new Error(`no scored step between step ${fromStep} and step ${toStep}`);
  const settings = settingsNow();
  const svg = heatmapSvg({
    trajectoryId: entry.trajectory.id,
    modelPair: modelPairWordsOf(key),
    settings: settingsLine(settings),
    steps,
    beta: settings.evaluation.beta,
    // The range the transcript shows this trajectory with (fitted to its scores, or fixed).
    range: rangeOfKeys([key]),
  });
  const range = fromStep === toStep ? `step${fromStep}` : `steps${fromStep}-${toStep}`;
  await saveImage(svg, `${safeFileName(entry.trajectory.id)}.heatmap-${range}`, format);
}

function scoredRecords() {
  return scoredRecordsInOrder(useAppStore.getState().trajectoryOrder, useScoringStore.getState().results).records;
}

export async function exportRocImage(format: ImageFormat): Promise<void> {
  const settings = settingsNow();
  const report = evaluateRecords(scoredRecords(), settings.evaluation);
  const uq = report.uncertainty;
  if (!uq?.roc) throw new Error('no ROC curve: it needs scored trajectories with rewards of both classes (success and failure)');
  await saveImage(rocSvg({ points: uq.roc, auroc: uq.auroc, n: uq.n, modelPair: modelPairWordsOfAll(), settings: settingsLine(settings) }), 'roc-curve', format);
}

export async function exportSweepImage(metric: SweepMetric, format: ImageFormat): Promise<void> {
  const settings = settingsNow();
  const records = scoredRecords();
  if (records.length === 0) throw new Error('score trajectories first');
  const sweep = sweepAggregations(records, settings.evaluation, metric, settings.predictor);
  const svg = sweepSvg({
    sweep,
    metricLabel: `${SWEEP_METRIC_WORDS[metric]} of ${settings.evaluation.method}`,
    current: { tokenAggregation: settings.evaluation.tokenAggregation, stepAggregation: settings.evaluation.stepAggregation },
    modelPair: modelPairWordsOfAll(),
    settings: settingsLine(settings),
  });
  await saveImage(svg, `aggregation-sweep-${metric}`, format);
}

/** The HTML report of the given trajectories (one: a trajectory report; more: a set report with dataset figures). */
export function reportHtml(keys: readonly string[], createdAt = new Date()): string {
  const { trajectories } = useAppStore.getState();
  const { results } = useScoringStore.getState();
  const present = keys.filter((k) => trajectories[k]);
  if (present.length === 0) throw new Error('no trajectory to report on');
  // One trajectory: the range it is shown with; a set: the range fitted to the whole set (or the fixed one).
  const settings = { ...settingsNow(), colourRange: rangeOfKeys(present) };
  const shown = present.slice(0, MAX_REPORT_TRAJECTORIES);
  const notes = notesByKey(useNotesStore.getState().notes);
  const sources: ReportSource[] = shown.map((key) => ({
    fileName: trajectories[key].fileName,
    trajectory: trajectories[key].trajectory,
    result: results[key],
    evaluation: evaluationOf(key),
    modelPair: modelPairWordsOf(key),
    notes: notes.get(key) ?? [],
  }));
  const set = present.length > 1;
  return buildReport({
    title: set ? `Progress-advantage report: ${plural(present.length, 'trajectory')}` : `Progress-advantage report: ${trajectories[present[0]].trajectory.id}`,
    createdAt,
    appName: APP_NAME,
    appVersion: APP_VERSION,
    settings,
    sources,
    setReport: set ? evaluateRecords(scoredRecordsInOrder(present, results).records, settings.evaluation) : null,
    ...(shown.length < present.length ? { omitted: `The dataset figures cover all ${present.length} trajectories; the first ${shown.length} are shown in full below.` } : {}),
  });
}

export function exportReport(keys: readonly string[]): void {
  const { trajectories } = useAppStore.getState();
  const html = reportHtml(keys);
  const present = keys.filter((k) => trajectories[k]);
  const name = present.length === 1 ? safeFileName(trajectories[present[0]].trajectory.id) : `${present.length}-trajectories`;
  downloadText(html, `${name}.report.html`, 'text/html');
}

/** The notes of the given trajectories as JSON Lines (src/core/notes), downloaded. */
export function exportNotes(keys: readonly string[]): number {
  const lines = notesJsonLinesOf(keys);
  const count = lines === '' ? 0 : lines.split('\n').length - 1;
  if (count === 0) throw new Error('there are no notes on these trajectories');
  downloadText(lines, 'notes.jsonl', 'application/x-ndjson');
  return count;
}

/** Reads a notes file (JSON Lines) into the session; returns what it added and each line it could not use. */
export async function importNotesFile(file: File): Promise<NotesImport> {
  if (file.size > MAX_NOTES_FILE_BYTES) throw new Error(`${file.name}: is ${file.size.toLocaleString('en-US')} bytes; a notes file holds at most ${MAX_NOTES_FILE_BYTES.toLocaleString('en-US')}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await file.arrayBuffer());
  } catch {
    throw new Error(`${file.name}: is not UTF-8 text`);
  }
  return importNotesJsonLines(text, file.name);
}

export function exportBundle(keys: readonly string[], baseName: string): void {
  if (keys.length === 0) throw new Error('no trajectory to export');
  const bytes = exportBundleBytes(keys);
  downloadBlob(new Blob([bytes], { type: 'application/gzip' }), `${safeFileName(baseName, 'analysis')}${BUNDLE_FILE_SUFFIX}`);
}

export interface SnippetLink extends EncodedSnippet {
  url: string;
  trajectoryId: string;
  stepNumber: number;
}

/** A link carrying one scored step (`message` of trajectory `key`) in its hash. */
export function createSnippetLink(key: string, message: number, base: Pick<Location, 'origin' | 'pathname'> = window.location): SnippetLink {
  const entry = entryOf(key);
  const result = useScoringStore.getState().results[key];
  const stepIndex = result ? result.record.steps.findIndex((s) => s.message === message) : -1;
  if (!result || stepIndex < 0) throw new Error('that step is not scored');
  const step = result.record.steps[stepIndex];
  if (step.policy.length === 0) throw new Error('that step has no token figures to share');
  const t = entry.trajectory;
  const evaluation = evaluationOf(key);
  const settings = settingsNow();
  const stepNumber = t.actionSteps.indexOf(message) + 1;
  const agent = step.agent ?? t.messages[message]?.name;
  const encoded = encodeSnippet({
    trajectoryId: t.id,
    fileName: entry.fileName,
    ...(t.taskId !== undefined ? { taskId: t.taskId } : {}),
    message,
    stepNumber: Math.max(1, stepNumber),
    ...(agent ? { agent } : {}),
    tokens: stepTokenTexts(step),
    policy: step.policy,
    reference: step.reference,
    stepScore: evaluation?.stepScores[stepIndex] ?? null,
    decisive: evaluation?.predicted[settings.predictor] === message,
    labelledMistake: t.labels.mistakeStep === message,
    // The snippet is drawn with the range this step was shown with: fixed at that value.
    settings: { ...linkedSettingsOf(useAnalysisStore.getState()), colourRangeMode: 'fixed', colourRange: rangeOfKeys([key]) },
    modelPair: modelPairWordsOf(key),
    notes: (notesByKey(useNotesStore.getState().notes).get(key) ?? []).filter((n) => n.message === message).map(({ tokens, text, tags, created }) => ({ tokens, text, tags, created })),
    createdAt: new Date().toISOString(),
  });
  return { ...encoded, url: `${base.origin}${base.pathname}${encoded.hash}`, trajectoryId: t.id, stepNumber: Math.max(1, stepNumber) };
}
