/**
 * The frame every exported image shares: a white background, a title, the model pair and the
 * settings, the chart, and a legend. SVG strings are built only with `markup` (src/core/report),
 * so trajectory ids, model and agent names reach the file as escaped text. Text widths are
 * estimated (no DOM here: these run in Node tests too), which is enough to lay out and clip lines.
 */
import { coordinate, markup, type Markup } from '../../../core/report/escape';

/** Light-theme chart colours (src/ui/curve/chart-theme.css): images do not follow the app's theme. */
export const EXPORT_COLOURS = {
  background: '#ffffff',
  text: '#1c1e21',
  muted: '#616770',
  gain: '#2166ac',
  loss: '#b2182b',
  running: '#1c1e21',
  axis: '#616770',
  grid: '#e4e6ea',
  decisive: '#d95f02',
  mistake: '#c51b7d',
  diagonal: '#9aa1aa',
} as const;

export const FONT_FAMILY = 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif';
export const MONO_FAMILY = 'ui-monospace, SFMono-Regular, Menlo, Consolas, DejaVu Sans Mono, monospace';

const WIDE = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{1F300}-\u{1FAFF}\u{20000}-\u{3FFFD}]/u;

/** Columns a text takes in a monospace font: East Asian wide characters and emoji take two. */
export function textColumns(text: string): number {
  let columns = 0;
  for (const ch of text) columns += WIDE.test(ch) ? 2 : 1;
  return columns;
}

/** Rough width of proportional text: the average glyph is about 0.55 em. */
export function approximateTextWidth(text: string, fontSize: number): number {
  return textColumns(text) * fontSize * 0.55;
}

/** The text, cut with an ellipsis so that it fits `width` pixels at `fontSize`. */
export function fitText(text: string, width: number, fontSize: number): string {
  if (approximateTextWidth(text, fontSize) <= width) return text;
  const chars = [...text];
  let out = '';
  for (const ch of chars) {
    if (approximateTextWidth(`${out}${ch}…`, fontSize) > width) break;
    out += ch;
  }
  return `${out}…`;
}

/** `note`: text alone (no mark), for what the image leaves out. */
export type LegendMark = 'swatch' | 'line' | 'dashed' | 'dotted' | 'ramp' | 'note';

export interface LegendItem {
  mark: LegendMark;
  /** One colour, or (for `ramp`) the colours from left to right. */
  colours: readonly string[];
  label: string;
}

export interface FrameInput {
  title: string;
  /** Model pair, in words ("policy … · reference …"). */
  modelPair: string;
  /** One line of settings. */
  settings: string;
  /** Image width (the chart is laid out for it). */
  width: number;
  chartHeight: number;
  chart: Markup;
  legend: readonly LegendItem[];
  /** Which chart (for tests and tools): `step-curve`, `heatmap`, `roc-curve`, `sweep-table`. */
  kind: string;
}

const PADDING = 16;
const LINE = 15;
/** Header lines: the title, then the model pair and the settings, each wrapped to at most this many lines. */
const MAX_WRAPPED_LINES = 3;
const LEGEND_ROW = 18;
const LEGEND_FONT = 11.5;

function legendMark(item: LegendItem, x: number, y: number): Markup {
  const c = item.colours;
  switch (item.mark) {
    case 'swatch':
      return markup`<rect x="${coordinate(x)}" y="${coordinate(y - 9)}" width="14" height="10" rx="2" fill="${c[0]}" stroke="${EXPORT_COLOURS.diagonal}" stroke-width="0.5"/>`;
    case 'note':
      return markup``;
    case 'line':
    case 'dashed':
    case 'dotted': {
      const dash = item.mark === 'dashed' ? '6 3' : item.mark === 'dotted' ? '2 3' : null;
      return markup`<line x1="${coordinate(x)}" x2="${coordinate(x + 18)}" y1="${coordinate(y - 4)}" y2="${coordinate(y - 4)}" stroke="${c[0]}" stroke-width="2"${
        dash ? markup` stroke-dasharray="${dash}"` : null
      }/>`;
    }
    case 'ramp': {
      const w = 60 / c.length;
      return markup`${c.map((colour, i) => markup`<rect x="${coordinate(x + i * w)}" y="${coordinate(y - 9)}" width="${coordinate(w + 0.3)}" height="10" fill="${colour}"/>`)}`;
    }
  }
}

function markWidth(mark: LegendMark): number {
  return mark === 'ramp' ? 60 : mark === 'swatch' ? 14 : mark === 'note' ? -6 : 18;
}

/** Splits text into lines that fit `width` (at spaces; a longer word is cut), at most `maxLines` (the last one clipped). */
export function wrapText(text: string, width: number, fontSize: number, maxLines = MAX_WRAPPED_LINES): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (approximateTextWidth(candidate, fontSize) <= width || line === '') {
      line = candidate;
    } else {
      lines.push(line);
      line = word;
    }
  }
  lines.push(line);
  if (lines.length <= maxLines) return lines.map((l) => fitText(l, width, fontSize));
  return [...lines.slice(0, maxLines - 1).map((l) => fitText(l, width, fontSize)), fitText(`${lines.slice(maxLines - 1).join(' ')}`, width, fontSize)];
}

/** Lays legend items out left to right, wrapping to new rows; returns the markup and its height. */
function layoutLegend(items: readonly LegendItem[], width: number): { svg: Markup; height: number } {
  const parts: Markup[] = [];
  let x = PADDING;
  let row = 0;
  for (const item of items) {
    const label = fitText(item.label, width - 2 * PADDING - markWidth(item.mark) - 6, LEGEND_FONT);
    const itemWidth = markWidth(item.mark) + 6 + approximateTextWidth(label, LEGEND_FONT) + 16;
    if (x > PADDING && x + itemWidth > width - PADDING) {
      row++;
      x = PADDING;
    }
    const y = row * LEGEND_ROW + 13;
    parts.push(
      markup`<g data-part="legend-item">${legendMark(item, x, y)}<text x="${coordinate(x + markWidth(item.mark) + 6)}" y="${coordinate(y)}" font-size="${LEGEND_FONT}" fill="${EXPORT_COLOURS.muted}">${label}</text></g>`,
    );
    x += itemWidth;
  }
  return { svg: markup`${parts}`, height: items.length === 0 ? 0 : (row + 1) * LEGEND_ROW + 6 };
}

function textLines(part: string, lines: readonly string[], top: number, fontSize: number, fill: string): Markup {
  return markup`<text data-part="${part}" x="${PADDING}" y="${top}" font-size="${fontSize}" fill="${fill}">${lines.map(
    (line, i) => markup`<tspan x="${PADDING}" dy="${i === 0 ? 0 : LINE}">${line}</tspan>`,
  )}</text>`;
}

/** A standalone SVG document (with XML declaration) around a chart. */
export function frameSvg(input: FrameInput): Markup {
  const { width } = input;
  const legend = layoutLegend(input.legend, width);
  const textWidth = width - 2 * PADDING;
  const pairLines = wrapText(`model pair: ${input.modelPair}`, textWidth, 11.5);
  const settingsLines = wrapText(input.settings, textWidth, 11.5);
  const pairTop = 42;
  const settingsTop = pairTop + pairLines.length * LINE;
  const headerHeight = settingsTop + (settingsLines.length - 1) * LINE + 7;
  const height = headerHeight + input.chartHeight + legend.height + PADDING / 2;
  return markup`<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${coordinate(width)}" height="${coordinate(height)}" viewBox="0 0 ${coordinate(width)} ${coordinate(height)}" font-family="${FONT_FAMILY}" data-kind="${input.kind}">
<title>${input.title}</title>
<desc>${input.title}. Scored by ${input.modelPair}. ${input.settings}</desc>
<rect data-part="background" x="0" y="0" width="${coordinate(width)}" height="${coordinate(height)}" fill="${EXPORT_COLOURS.background}"/>
<text data-part="title" x="${PADDING}" y="24" font-size="15" font-weight="600" fill="${EXPORT_COLOURS.text}">${fitText(input.title, textWidth, 15)}</text>
${textLines('model-pair', pairLines, pairTop, 11.5, EXPORT_COLOURS.muted)}
${textLines('settings', settingsLines, settingsTop, 11.5, EXPORT_COLOURS.muted)}
<g data-part="chart" transform="translate(0 ${headerHeight})">${input.chart}</g>
<g data-part="legend" transform="translate(0 ${coordinate(headerHeight + input.chartHeight)})">${legend.svg}</g>
</svg>
`;
}

/** Width and height of a framed SVG, read back from its root element (for the PNG canvas). */
export function svgSize(svg: string): { width: number; height: number } {
  const match = /<svg\b[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"/.exec(svg);
  if (!match) throw new Error('the SVG has no width and height');
  return { width: Number(match[1]), height: Number(match[2]) };
}
