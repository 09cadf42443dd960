/**
 * The token heatmap of a range of steps as a standalone SVG: every token a coloured rect with its
 * text (monospace, laid out in columns here; `textLength` pins each piece to its computed width so
 * the layout holds in any font) and a <title> with its figures. Newlines break lines (shown as ↵).
 */
import { coordinate, markup, type Markup } from '../../../core/report/escape';
import { advantageColour, advantageTextColour } from '../../heatmap/colour-scale';
import { EXPORT_COLOURS, MONO_FAMILY, fitText, frameSvg, textColumns, type LegendItem } from './frame';

export const HEATMAP_EXPORT_WIDTH = 900;
/** More tokens than this are left out of one image (it says so). */
export const HEATMAP_MAX_TOKENS = 4000;

const PADDING = 16;
const FONT_SIZE = 12;
const CHAR_WIDTH = FONT_SIZE * 0.6;
const LINE_HEIGHT = 18;
const STEP_GAP = 10;

export interface HeatmapToken {
  text: string;
  policy: number;
  reference: number;
}

export interface HeatmapStep {
  /** 1-based position among the action steps. */
  stepNumber: number;
  message: number;
  agent?: string;
  score: number | null;
  tokens: readonly HeatmapToken[];
}

export interface HeatmapImageInput {
  trajectoryId: string;
  modelPair: string;
  settings: string;
  steps: readonly HeatmapStep[];
  beta: number;
  /** Colour range ±range. */
  range: number;
  maxTokens?: number;
}

/** How a token's text is drawn: tabs and newlines made visible, one entry per drawn line. */
export function tokenLines(text: string): string[] {
  return text.replace(/\t/g, '→').replace(/\r/g, '').split('\n').map((line, i, all) => (i < all.length - 1 ? `${line}↵` : line));
}

interface Piece {
  x: number;
  line: number;
  text: string;
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
}

export function heatmapSvg(input: HeatmapImageInput): string {
  const maxTokens = input.maxTokens ?? HEATMAP_MAX_TOKENS;
  const width = HEATMAP_EXPORT_WIDTH;
  const columns = Math.floor((width - 2 * PADDING) / CHAR_WIDTH);
  const totalTokens = input.steps.reduce((n, s) => n + s.tokens.length, 0);
  let budget = maxTokens;
  let y = 0;
  const parts: Markup[] = [];

  for (const step of input.steps) {
    if (budget <= 0) break;
    const shown = step.tokens.slice(0, budget);
    budget -= shown.length;
    const header = `step ${step.stepNumber} · message ${step.message}${step.agent ? ` · ${step.agent}` : ''}${step.score === null ? '' : ` · s = ${signed(step.score)}`}${
      shown.length < step.tokens.length ? ` · first ${shown.length} of ${step.tokens.length} tokens` : ''
    }`;
    y += LINE_HEIGHT;
    parts.push(
      markup`<text data-part="step-header" x="${PADDING}" y="${coordinate(y - 5)}" font-size="12" font-weight="600" fill="${EXPORT_COLOURS.text}">${fitText(header, width - 2 * PADDING, 12)}</text>`,
    );
    let line = 0;
    let column = 0;
    const tokens: Markup[] = [];
    shown.forEach((token, index) => {
      const a = input.beta * (token.policy - token.reference);
      const pieces: Piece[] = [];
      tokenLines(token.text).forEach((segment, s) => {
        if (s > 0) {
          line++;
          column = 0;
        }
        let rest = [...segment];
        // A token that does not fit the rest of the line starts a new one; a longer one is cut.
        if (column > 0 && column + textColumns(segment) > columns) {
          line++;
          column = 0;
        }
        while (rest.length > 0) {
          let take = 0;
          let used = 0;
          while (take < rest.length && used + textColumns(rest[take]) <= columns - column) used += textColumns(rest[take++]);
          if (take === 0) {
            line++;
            column = 0;
            continue;
          }
          pieces.push({ x: PADDING + column * CHAR_WIDTH, line, text: rest.slice(0, take).join('') });
          column += used;
          rest = rest.slice(take);
          if (rest.length > 0) {
            line++;
            column = 0;
          }
        }
      });
      const fill = advantageColour(a, input.range);
      const ink = advantageTextColour(a, input.range);
      const title = `${JSON.stringify(token.text)} · A ${signed(a)} · log π_θ ${token.policy.toFixed(4)} · log π_ref ${token.reference.toFixed(4)}`;
      tokens.push(
        markup`<g data-part="token" data-index="${index}" data-advantage="${String(a)}"><title>${title}</title>${pieces.map((p) => {
          const w = Math.max(1, textColumns(p.text)) * CHAR_WIDTH;
          const top = y + p.line * LINE_HEIGHT;
          return markup`<rect x="${coordinate(p.x)}" y="${coordinate(top + 2)}" width="${coordinate(w)}" height="${LINE_HEIGHT - 2}" fill="${fill}"/>${
            p.text === ''
              ? null
              : markup`<text x="${coordinate(p.x)}" y="${coordinate(top + LINE_HEIGHT - 5)}" fill="${ink}" textLength="${coordinate(textColumns(p.text) * CHAR_WIDTH)}" lengthAdjust="spacingAndGlyphs" xml:space="preserve">${p.text}</text>`
          }`;
        })}</g>`,
      );
    });
    parts.push(markup`<g data-part="step" data-step="${step.stepNumber}" data-message="${step.message}" font-family="${MONO_FAMILY}" font-size="${FONT_SIZE}">${tokens}</g>`);
    y += (line + 1) * LINE_HEIGHT + STEP_GAP;
  }
  if (input.steps.length === 0) {
    y += LINE_HEIGHT;
    parts.push(markup`<text x="${PADDING}" y="${y}" font-size="12" fill="${EXPORT_COLOURS.muted}">No scored step in this range.</text>`);
  }

  const shownTokens = Math.min(totalTokens, maxTokens);
  const stepNumbers = input.steps.map((s) => s.stepNumber);
  const range = stepNumbers.length === 0 ? '' : stepNumbers.length === 1 ? ` step ${stepNumbers[0]}` : ` steps ${stepNumbers[0]}–${stepNumbers[stepNumbers.length - 1]}`;
  const r = input.range;
  const legend: LegendItem[] = [
    { mark: 'ramp', colours: Array.from({ length: 11 }, (_, i) => advantageColour(-r + (i * r) / 5, r)), label: `A = β·(log π_θ − log π_ref) from −${r} (lost ground, red) to +${r} (gained, blue)` },
  ];
  if (shownTokens < totalTokens) legend.push({ mark: 'note', colours: [], label: `showing the first ${shownTokens} of ${totalTokens} tokens` });
  return frameSvg({
    kind: 'heatmap',
    title: `Token heatmap of ${input.trajectoryId},${range}`,
    modelPair: input.modelPair,
    settings: input.settings,
    width,
    chartHeight: y + 4,
    chart: markup`${parts}`,
    legend,
  }).html;
}
