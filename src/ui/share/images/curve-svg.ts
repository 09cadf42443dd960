/** The step-evolution curve as a standalone SVG: the same geometry as the view (curve-model.ts), fixed colours, a legend. */
import { coordinate, markup, type Markup } from '../../../core/report/escape';
import { buildCurveModel, overlayColour, type CurveInput, type CurveModel } from '../../curve/curve-model';
import { EXPORT_COLOURS, FONT_FAMILY, frameSvg, type LegendItem } from './frame';
import { methodLabel, type MethodLabel } from '../../../core/advantage/method-label';

const PROGRESS_LABEL = methodLabel('progress');

export const CURVE_EXPORT_WIDTH = 760;
export const CURVE_EXPORT_HEIGHT = 260;

export interface CurveImageInput {
  /** The curve's data (width and height are the export's own). */
  curve: Omit<CurveInput, 'width' | 'height'>;
  trajectoryId: string;
  modelPair: string;
  settings: string;
  predictor: string;
  /** What the step scores are (core's methodLabel of the chosen method); the progress advantage when absent. */
  method?: MethodLabel;
}

/** The chart itself, for the standalone image and for the HTML report. */
export function curveChart(model: CurveModel, method: MethodLabel = PROGRESS_LABEL): Markup {
  const { plot } = model;
  const c = EXPORT_COLOURS;
  const tick = (x: number, y: number, text: string, anchor: string) =>
    markup`<text x="${coordinate(x)}" y="${coordinate(y)}" font-size="11" fill="${c.axis}" text-anchor="${anchor}" dominant-baseline="middle">${text}</text>`;
  return markup`<g data-part="grid">${model.yTicks.map(
    (t) => markup`<line x1="${coordinate(plot.left)}" x2="${coordinate(plot.right)}" y1="${coordinate(t.at)}" y2="${coordinate(t.at)}" stroke="${c.grid}"/>`,
  )}</g>
<line x1="${coordinate(plot.left)}" x2="${coordinate(plot.right)}" y1="${coordinate(model.zeroY)}" y2="${coordinate(model.zeroY)}" stroke="${c.axis}"/>
<g data-part="bars">${model.steps.map((s) =>
    s.score === null
      ? // An unscored step: a pale band across the plot, no bar (it did not score 0).
        markup`<rect data-step="${s.stepNumber}" data-message="${s.message}" data-unscored="true" x="${coordinate(s.bandX)}" y="${coordinate(plot.top)}" width="${coordinate(s.bandWidth)}" height="${coordinate(
          plot.bottom - plot.top,
        )}" fill="${c.grid}" fill-opacity="0.6"><title>step ${s.stepNumber} (message ${s.message}): unscored</title></rect>`
      :
      markup`<rect data-step="${s.stepNumber}" data-message="${s.message}" data-score="${String(s.score)}" x="${coordinate(s.barX)}" y="${coordinate(s.barY)}" width="${coordinate(s.barWidth)}" height="${coordinate(
        Math.max(1, s.barHeight),
      )}" fill="${s.score < 0 ? c.loss : c.gain}"><title>step ${s.stepNumber} (message ${s.message}): step score ${s.score.toFixed(4)}, ${method.running} ${(s.running as number).toFixed(4)}</title></rect>`,
  )}</g>
${model.overlays.map((o, i) => markup`<path data-part="overlay" d="${o.path}" fill="none" stroke="${overlayColour(i)}" stroke-width="1.6"/>`)}
<path data-part="running" d="${model.runningPath}" fill="none" stroke="${c.running}" stroke-width="2"/>
${model.steps.map((s) => (s.runningY === null ? null : markup`<circle cx="${coordinate(s.x)}" cy="${coordinate(s.runningY)}" r="${model.steps.length > 80 ? 1.5 : 3}" fill="${c.running}"/>`))}
${
  model.mistake
    ? markup`<g data-part="labelled-mistake" data-message="${model.mistake.message}"><line x1="${coordinate(model.mistake.x)}" x2="${coordinate(model.mistake.x)}" y1="${coordinate(plot.top)}" y2="${coordinate(
        plot.bottom,
      )}" stroke="${c.mistake}" stroke-width="2" stroke-dasharray="2 3"/><path d="M${coordinate(model.mistake.x - 5)},${coordinate(plot.bottom + 9)} L${coordinate(model.mistake.x + 5)},${coordinate(plot.bottom + 9)} L${coordinate(
        model.mistake.x,
      )},${coordinate(plot.bottom + 1)} Z" fill="${c.mistake}"/></g>`
    : null
}
${
  model.decisive
    ? markup`<g data-part="decisive-step" data-message="${model.decisive.message}"><line x1="${coordinate(model.decisive.x)}" x2="${coordinate(model.decisive.x)}" y1="${coordinate(plot.top)}" y2="${coordinate(
        plot.bottom,
      )}" stroke="${c.decisive}" stroke-width="2" stroke-dasharray="6 3"/><path d="M${coordinate(model.decisive.x - 6)},${coordinate(plot.top)} L${coordinate(model.decisive.x + 6)},${coordinate(plot.top)} L${coordinate(
        model.decisive.x,
      )},${coordinate(plot.top + 9)} Z" fill="${c.decisive}"/></g>`
    : null
}
<g data-part="axes" font-family="${FONT_FAMILY}">
<line x1="${coordinate(plot.left)}" x2="${coordinate(plot.left)}" y1="${coordinate(plot.top)}" y2="${coordinate(plot.bottom)}" stroke="${c.axis}"/>
<line x1="${coordinate(plot.left)}" x2="${coordinate(plot.right)}" y1="${coordinate(plot.bottom)}" y2="${coordinate(plot.bottom)}" stroke="${c.axis}"/>
${model.yTicks.map((t) => tick(plot.left - 6, t.at, String(t.value), 'end'))}
${model.xTicks.map((t) => tick(t.at, plot.bottom + 20, String(t.value), 'middle'))}
<text x="${coordinate((plot.left + plot.right) / 2)}" y="${coordinate(model.height - 4)}" font-size="12" fill="${c.text}" text-anchor="middle">action step</text>
<text transform="translate(14 ${coordinate((plot.top + plot.bottom) / 2)}) rotate(-90)" font-size="12" fill="${c.text}" text-anchor="middle">${method.axis}</text>
</g>`;
}

export function curveLegend(model: CurveModel, predictor: string, method: MethodLabel = PROGRESS_LABEL): LegendItem[] {
  const c = EXPORT_COLOURS;
  const items: LegendItem[] = [
    { mark: 'swatch', colours: [c.gain], label: 'step score ≥ 0' },
    { mark: 'swatch', colours: [c.loss], label: 'step score < 0' },
    { mark: 'line', colours: [c.running], label: method.running },
  ];
  if (model.decisive) items.push({ mark: 'dashed', colours: [c.decisive], label: `decisive step (${predictor}): message ${model.decisive.message}` });
  if (model.mistake) items.push({ mark: 'dotted', colours: [c.mistake], label: `labelled mistake: message ${model.mistake.message}${model.mistake.onStep ? '' : ' (not an action step)'}` });
  model.overlays.forEach((o, i) => items.push({ mark: 'line', colours: [overlayColour(i)], label: o.label }));
  return items;
}

/** Standalone SVG of one trajectory's step curve. */
export function curveSvg(input: CurveImageInput): string {
  const model = buildCurveModel({ ...input.curve, width: CURVE_EXPORT_WIDTH, height: CURVE_EXPORT_HEIGHT });
  return frameSvg({
    kind: 'step-curve',
    title: `Step-evolution curve of ${input.trajectoryId}`,
    modelPair: input.modelPair,
    settings: input.settings,
    width: model.width,
    chartHeight: model.height,
    chart: curveChart(model, input.method),
    legend: curveLegend(model, input.predictor, input.method),
  }).html;
}

/** The chart alone, as an inline <svg> element (for the HTML report). */
export function inlineCurveSvg(curve: Omit<CurveInput, 'width' | 'height'>, label: string): Markup {
  const model = buildCurveModel({ ...curve, width: CURVE_EXPORT_WIDTH, height: CURVE_EXPORT_HEIGHT });
  return markup`<svg xmlns="http://www.w3.org/2000/svg" width="${model.width}" height="${model.height}" viewBox="0 0 ${model.width} ${model.height}" font-family="${FONT_FAMILY}" role="img" aria-label="${label}"><rect width="${model.width}" height="${model.height}" fill="${EXPORT_COLOURS.background}"/>${curveChart(
    model,
  )}</svg>`;
}
