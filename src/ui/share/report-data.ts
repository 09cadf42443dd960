/**
 * From the app's data to the HTML report's input (src/core/report builds the document): the
 * token colours and texts the transcript shows, the curve the step-curve view draws, the numbers
 * the core's evaluation gives. Pure (no DOM, no store), so tests build reports directly.
 */
import { buildHtmlReport, type HtmlReportInput, type PaletteEntry, type ReportMessage, type ReportNote, type ReportTrajectory } from '../../core/report';
import { describeNoteSpan, type NoteBody } from '../../core/notes';
import type { EvaluationReport, TrajectoryEvaluation } from '../../core/scores/evaluate';
import type { ToolCall, Trajectory } from '../../core/trajectory/types';
import type { ScoredTrajectory } from '../../core/scoring';
import type { AnalysisSettings } from '../../state/analysis';
import { advantageColour, advantageTextColour } from '../heatmap/colour-scale';
import { advantageClass, STEPS_PER_SIDE } from '../heatmap/token-classes';
import { stepTokenTexts } from '../transcript/transcript-rows';
import { formatMetric } from '../dataset/format-metric';
import { inlineCurveSvg } from './images/curve-svg';
import { inlineRocSvg } from './images/roc-svg';
import { settingsRows } from './describe';

export interface ReportSource {
  fileName: string;
  trajectory: Trajectory;
  result: Pick<ScoredTrajectory, 'record' | 'notScored' | 'stepLevelOnly'> | undefined;
  evaluation: TrajectoryEvaluation | undefined;
  /** Who scored it, in words. */
  modelPair: string;
  /** The reader's notes on it, in reading order. */
  notes?: readonly NoteBody[];
}

export interface ReportRequest {
  title: string;
  createdAt: Date;
  appName: string;
  appVersion: string;
  settings: Pick<AnalysisSettings, 'evaluation' | 'predictor' | 'colourRange'>;
  sources: readonly ReportSource[];
  /** The evaluation of the whole set, for a set report; null for one trajectory. */
  setReport: EvaluationReport | null;
  /** Said at the top when the report shows fewer trajectories than it evaluated. */
  omitted?: string;
}

/** The 41 colour buckets of the heatmap (the app's token classes), as the report's style sheet. */
export function heatmapPalette(): PaletteEntry[] {
  const entries: PaletteEntry[] = [];
  for (let k = -STEPS_PER_SIDE; k <= STEPS_PER_SIDE; k++) {
    const a = k / STEPS_PER_SIDE;
    entries.push({ className: k < 0 ? `adv-n${-k}` : `adv-p${k}`, background: advantageColour(a, 1), text: advantageTextColour(a, 1) });
  }
  return entries;
}

function toolCallArguments(call: ToolCall): string {
  // As the transcript shows them: the raw string when the source's arguments were not JSON.
  return call.rawArguments !== undefined && Object.keys(call.arguments).length === 0 ? call.rawArguments : JSON.stringify(call.arguments, null, 2);
}

export function reportTrajectory(source: ReportSource, settings: ReportRequest['settings']): ReportTrajectory {
  const { trajectory: t, result, evaluation } = source;
  const beta = settings.evaluation.beta;
  const range = settings.colourRange;
  const stepNumberOf = new Map(t.actionSteps.map((m, k) => [m, k + 1] as const));
  const scoredSteps = new Map((result?.record.steps ?? []).map((step, i) => [step.message, { step, index: i }] as const));
  const notScored = new Map((result?.notScored ?? []).map((n) => [n.message, n.detail] as const));
  const decisiveMessage = evaluation ? evaluation.predicted[settings.predictor] : null;

  const messages: ReportMessage[] = t.messages.map((message, index) => {
    const stepNumber = stepNumberOf.get(index);
    const scored = scoredSteps.get(index);
    let step: ReportMessage['step'] = null;
    if (stepNumber !== undefined) {
      const texts = scored ? stepTokenTexts(scored.step) : [];
      step = {
        number: stepNumber,
        score: scored && evaluation ? evaluation.stepScores[scored.index] : null,
        running: scored && evaluation ? evaluation.runningAdvantage[scored.index] : null,
        tokens:
          scored && scored.step.policy.length > 0
            ? scored.step.policy.map((policy, i) => {
                const reference = scored.step.reference[i];
                const advantage = beta * (policy - reference);
                return { text: texts[i] ?? '', advantage, policy, reference, className: advantageClass(advantage, range) };
              })
            : null,
        notScored: notScored.get(index) ?? null,
      };
    }
    return {
      index,
      role: message.role,
      sourceRole: message.sourceRole,
      ...(message.name !== undefined ? { name: message.name } : {}),
      content: message.content,
      toolCalls: (message.toolCalls ?? []).map((call) => ({ name: call.name, ...(call.id !== undefined ? { id: call.id } : {}), arguments: toolCallArguments(call) })),
      ...(message.toolCallId !== undefined ? { toolCallId: message.toolCallId } : {}),
      step,
    };
  });

  const curve =
    evaluation && evaluation.record.steps.length > 0
      ? inlineCurveSvg(
          {
            stepMessages: evaluation.record.steps.map((s) => s.message),
            stepScores: evaluation.stepScores,
            runningAdvantage: evaluation.runningAdvantage,
            decisiveMessage,
            mistakeMessage: t.labels.mistakeStep ?? evaluation.record.mistakeStep ?? null,
            overlays: [],
          },
          `Step scores and running advantage of ${t.id}`,
        )
      : null;

  return {
    id: t.id,
    fileName: source.fileName,
    format: t.format,
    ...(t.taskId !== undefined ? { taskId: t.taskId } : {}),
    ...(t.labels.reward !== undefined ? { reward: t.labels.reward } : {}),
    ...(t.labels.success !== undefined ? { success: t.labels.success } : {}),
    ...(t.labels.mistakeStep !== undefined ? { mistakeStep: t.labels.mistakeStep } : {}),
    ...(t.labels.mistakeAgent !== undefined ? { mistakeAgent: t.labels.mistakeAgent } : {}),
    score: evaluation?.score ?? null,
    scored: result !== undefined,
    decisiveMessage,
    modelPair: source.modelPair,
    stepLevelOnly: result?.stepLevelOnly ?? false,
    curve,
    messages,
    ...(source.notes && source.notes.length > 0 ? { notes: source.notes.map(reportNote) } : {}),
  };
}

function reportNote(note: NoteBody): ReportNote {
  return { message: note.message, span: describeNoteSpan(note), text: note.text, tags: note.tags, created: note.created };
}

/** Dataset figures of a set, as (label, value) rows. */
export function summaryRows(report: EvaluationReport, predictor: ReportRequest['settings']['predictor']): [string, string][] {
  const rows: [string, string][] = [['trajectories evaluated', String(report.trajectories.length)]];
  const uq = report.uncertainty;
  rows.push(['AUROC (score as confidence of success)', uq ? (uq.auroc === null ? `undefined: ${uq.aurocReason}` : formatMetric(uq.auroc)) : 'undefined: no trajectory has a reward']);
  rows.push(['Spearman ρ (score, reward)', uq ? (uq.spearman === null ? `undefined: ${uq.spearmanReason}` : formatMetric(uq.spearman)) : 'undefined: no trajectory has a reward']);
  const best = report.bestOfN;
  if (best) {
    rows.push(['best-of-N: success rate of the chosen', formatMetric(best.successRate)]);
    rows.push(['best-of-N: Pass@N (oracle)', formatMetric(best.passAtN)]);
    rows.push(['best-of-N: Mean@N (random)', formatMetric(best.meanAtN)]);
    rows.push(['best-of-N: groups', String(best.groups)]);
  }
  const fa = report.failureAttribution?.[predictor];
  if (fa) {
    rows.push([`failure attribution (${predictor}): accuracy`, formatMetric(fa.accuracy)]);
    rows.push([`failure attribution (${predictor}): within ±1 step`, formatMetric(fa.within1)]);
    rows.push([`failure attribution (${predictor}): MAE`, formatMetric(fa.mae)]);
  }
  if (report.skipped.length > 0) rows.push(['not evaluated with these settings', report.skipped.map((s) => `${s.id ?? `#${s.line}`}: ${s.reason}`).join('; ')]);
  return rows;
}

/** The whole report, as the HTML document's text. */
export function buildReport(request: ReportRequest): string {
  const { settings } = request;
  const pairs = [...new Set(request.sources.filter((s) => s.result).map((s) => s.modelPair))];
  const r = settings.colourRange;
  const roc = request.setReport?.uncertainty?.roc ?? null;
  const input: HtmlReportInput = {
    title: request.title,
    createdAt: request.createdAt.toISOString(),
    appName: request.appName,
    appVersion: request.appVersion,
    settings: settingsRows(settings),
    modelPairs: pairs.length > 0 ? pairs : ['none (nothing scored)'],
    predictor: settings.predictor,
    colourRange: r,
    palette: heatmapPalette(),
    legendStops: Array.from({ length: 11 }, (_, i) => advantageColour(-r + (i * r) / 5, r)),
    summary: request.setReport ? summaryRows(request.setReport, settings.predictor) : null,
    figures: roc ? [{ title: 'ROC curve of the trajectory score as confidence of success (dashed: chance).', svg: inlineRocSvg(roc, 'ROC curve') }] : [],
    trajectories: request.sources.map((s) => reportTrajectory(s, settings)),
    ...(request.omitted ? { omitted: request.omitted } : {}),
  };
  return buildHtmlReport(input);
}
