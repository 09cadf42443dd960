/**
 * The geometry of the step-evolution curve, as plain data: scales, one mark per action step, the
 * running-advantage path, overlay paths and the positions of the decisive-step and labelled-mistake
 * markers. Pure (no DOM), so the chart component only draws what this returns and tests can check it.
 */
import { line, scaleLinear } from 'd3';
import { mistakePosition } from '../../core/metrics/failure';
import { maxOf } from '../../core/arrays';

/** Another trajectory's running advantage drawn over this one (same task). */
export interface OverlaySeries {
  key: string;
  label: string;
  /** Null at an unscored step: the line has a gap there. */
  runningAdvantage: readonly (number | null)[];
}

export interface CurveInput {
  /** Message index of each action step, ascending. */
  stepMessages: readonly number[];
  /** One per action step; null: unscored (drawn hatched, no bar, a gap in the running line). */
  stepScores: readonly (number | null)[];
  /** Cumulative sum of the step scores; null at an unscored step. */
  runningAdvantage: readonly (number | null)[];
  /** Message index of the predicted decisive step (an action step), or null. */
  decisiveMessage: number | null;
  /** Message index of the labelled mistake (any message), or null when unlabelled. */
  mistakeMessage: number | null;
  overlays: readonly OverlaySeries[];
  width: number;
  height: number;
}

export interface CurveMargin {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

/** Room for the axis ticks and their labels. */
export const CURVE_MARGIN: CurveMargin = { top: 14, right: 14, bottom: 40, left: 56 };

/** Below this the chart would be unreadable; narrower containers scroll. */
export const MIN_CURVE_WIDTH = 240;

/** Bars fill this share of a step's band, leaving gaps between neighbours. */
const BAR_SHARE = 0.7;

export interface StepMark {
  /** 0-based index among the action steps. */
  position: number;
  /** 1-based, as the transcript numbers steps. */
  stepNumber: number;
  message: number;
  /** Null: the step is unscored (no figures: beyond the context, refused, cancelled). */
  score: number | null;
  running: number | null;
  /** Centre of the step on the x axis. */
  x: number;
  /** The step's full-height band (hover / click target). */
  bandX: number;
  bandWidth: number;
  /** The bar from the zero line to the score (zero height for an unscored step). */
  barX: number;
  barY: number;
  barWidth: number;
  barHeight: number;
  /** Where the running-advantage point of this step sits; null at an unscored step. */
  runningY: number | null;
}

export interface CurveMarker {
  message: number;
  x: number;
  /**
   * For the decisive step: its position among the action steps. For the labelled mistake: the last
   * action step at or before it (−1 when it comes before every action step), as the core maps it.
   */
  position: number;
  /** Whether the message is an action step (else the marker sits between two steps). */
  onStep: boolean;
}

export interface Tick {
  value: number;
  /** Pixel coordinate along its axis. */
  at: number;
}

export interface OverlayPath {
  key: string;
  label: string;
  path: string;
  /** Steps in the overlaid trajectory. */
  steps: number;
}

export interface CurveModel {
  width: number;
  height: number;
  /** The plotting area inside the margins. */
  plot: { left: number; top: number; right: number; bottom: number };
  /** Steps shown on the x axis: the most of this trajectory and the overlays. */
  stepCount: number;
  steps: StepMark[];
  /** SVG path of this trajectory's running advantage (empty without steps). */
  runningPath: string;
  overlays: OverlayPath[];
  zeroY: number;
  xTicks: Tick[];
  yTicks: Tick[];
  /** [low, high] of the y axis after rounding to nice numbers. */
  yDomain: [number, number];
  decisive: CurveMarker | null;
  mistake: CurveMarker | null;
}

/** [low, high] covering 0 and every value, widened when they are all equal. */
export function valueExtent(series: readonly (readonly (number | null)[])[]): [number, number] {
  let low = 0;
  let high = 0;
  for (const values of series) {
    for (const v of values) {
      if (v === null || !Number.isFinite(v)) continue;
      if (v < low) low = v;
      if (v > high) high = v;
    }
  }
  if (low === high) return [-1, 1];
  return [low, high];
}

export function buildCurveModel(input: CurveInput): CurveModel {
  const { stepMessages, stepScores, runningAdvantage } = input;
  if (stepScores.length !== stepMessages.length || runningAdvantage.length !== stepMessages.length) {
    throw new RangeError(`${stepMessages.length} steps with ${stepScores.length} scores and ${runningAdvantage.length} running values`);
  }
  const width = Math.max(MIN_CURVE_WIDTH, input.width);
  const height = input.height;
  const plot = {
    left: CURVE_MARGIN.left,
    top: CURVE_MARGIN.top,
    right: width - CURVE_MARGIN.right,
    bottom: height - CURVE_MARGIN.bottom,
  };
  const stepCount = Math.max(stepMessages.length, maxOf(input.overlays.map((o) => o.runningAdvantage.length)), 1);

  // Step k (1-based) is centred at x(k); the half steps at both ends leave room for its band.
  const x = scaleLinear().domain([0.5, stepCount + 0.5]).range([plot.left, plot.right]);
  const y = scaleLinear()
    .domain(valueExtent([stepScores, runningAdvantage, ...input.overlays.map((o) => o.runningAdvantage)]))
    .range([plot.bottom, plot.top])
    .nice();
  const bandWidth = x(1.5) - x(0.5);
  const barWidth = Math.max(1, bandWidth * BAR_SHARE);
  const zeroY = y(0);

  const steps: StepMark[] = stepMessages.map((message, position) => {
    const stepNumber = position + 1;
    const score = stepScores[position];
    const scoreY = score === null ? zeroY : y(score);
    const centre = x(stepNumber);
    const running = runningAdvantage[position];
    return {
      position,
      stepNumber,
      message,
      score,
      running,
      x: centre,
      bandX: centre - bandWidth / 2,
      bandWidth,
      barX: centre - barWidth / 2,
      barY: Math.min(scoreY, zeroY),
      barWidth,
      barHeight: Math.abs(scoreY - zeroY),
      runningY: running === null ? null : y(running),
    };
  });

  // An unscored step leaves a gap in the line (the line does not pretend the step scored 0).
  const pathOf = (values: readonly (number | null)[]): string =>
    line<number | null>()
      .defined((v) => v !== null)
      .x((_, i) => x(i + 1))
      .y((v) => y(v as number))(Array.from(values)) ?? '';

  const decisivePosition = input.decisiveMessage === null ? -1 : stepMessages.indexOf(input.decisiveMessage);
  const decisive: CurveMarker | null =
    decisivePosition < 0 ? null : { message: input.decisiveMessage as number, x: steps[decisivePosition].x, position: decisivePosition, onStep: true };

  let mistake: CurveMarker | null = null;
  if (input.mistakeMessage !== null) {
    const position = mistakePosition(stepMessages, input.mistakeMessage);
    const onStep = position >= 0 && stepMessages[position] === input.mistakeMessage;
    // Off a step, the mistake sits halfway between the last action step before it and the next one.
    mistake = { message: input.mistakeMessage, x: x(onStep ? position + 1 : position + 1.5), position, onStep };
  }

  const xTickCount = Math.max(2, Math.floor((plot.right - plot.left) / 48));
  const xTicks = x
    .ticks(Math.min(stepCount, xTickCount))
    .filter((v) => Number.isInteger(v) && v >= 1 && v <= stepCount)
    .map((value) => ({ value, at: x(value) }));
  const yTicks = y.ticks(Math.max(2, Math.floor((plot.bottom - plot.top) / 36))).map((value) => ({ value, at: y(value) }));
  const [yLow, yHigh] = y.domain();

  return {
    width,
    height,
    plot,
    stepCount,
    steps,
    runningPath: steps.length === 0 ? '' : pathOf(runningAdvantage),
    overlays: input.overlays.map((o) => ({ key: o.key, label: o.label, path: o.runningAdvantage.length === 0 ? '' : pathOf(o.runningAdvantage), steps: o.runningAdvantage.length })),
    zeroY,
    xTicks,
    yTicks,
    yDomain: [yLow, yHigh],
    decisive,
    mistake,
  };
}

/**
 * Line colours of overlaid trajectories: the Okabe–Ito palette (readable with every common colour
 * vision deficiency, and on light and dark backgrounds), without its black and yellow.
 */
export const OVERLAY_COLOURS = ['#E69F00', '#56B4E9', '#009E73', '#D55E00', '#CC79A7', '#0072B2'] as const;

export function overlayColour(index: number): string {
  return OVERLAY_COLOURS[index % OVERLAY_COLOURS.length];
}
