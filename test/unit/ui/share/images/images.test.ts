import { describe, expect, it } from 'vitest';
import { curveSvg } from '../../../../../src/ui/share/images/curve-svg';
import { heatmapSvg, tokenLines } from '../../../../../src/ui/share/images/heatmap-svg';
import { rocSvg } from '../../../../../src/ui/share/images/roc-svg';
import { sweepSvg } from '../../../../../src/ui/share/images/sweep-svg';
import { fitText, svgSize, textColumns, wrapText } from '../../../../../src/ui/share/images/frame';
import { evaluateRecords, sweepAggregations, evaluateTrajectory } from '../../../../../src/core/scores/evaluate';
import type { ScoreRecord } from '../../../../../src/core/scores/format';
import { activeContent, byPart, find, parseMarkup, textOf, type MarkupElement } from './markup-parser';
import { PAYLOADS, payloadRecord } from '../../../core/bundle/fixtures';

const PAIR = `policy ${PAYLOADS.svg} · reference ${PAYLOADS.img}`;
const SETTINGS = 'progress advantage (difference, β = 1) · token → step mean';

function svgRoot(svg: string): MarkupElement {
  expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  const doc = parseMarkup(svg);
  const roots = doc.children.filter((c): c is MarkupElement => typeof c !== 'string');
  expect(roots.map((r) => r.name)).toEqual(['svg']);
  expect(activeContent(doc)).toEqual([]);
  return roots[0];
}

/** Checks the frame: title, model pair and settings lines, a legend with these labels. */
function expectFrame(root: MarkupElement, kind: string, legendLabels: string[]) {
  expect(root.attributes['data-kind']).toBe(kind);
  expect(Number(root.attributes.width)).toBeGreaterThan(100);
  expect(Number(root.attributes.height)).toBeGreaterThan(100);
  expect(root.attributes.viewBox).toBe(`0 0 ${root.attributes.width} ${root.attributes.height}`);
  expect(textOf(byPart(root, 'model-pair')[0])).toContain('model pair: policy "><svg onload=window.__pwned=1>');
  expect(textOf(find(root, (e) => e.name === 'desc')[0])).toContain(PAIR);
  expect(textOf(byPart(root, 'settings')[0])).toContain('progress advantage');
  const legend = byPart(root, 'legend-item').map(textOf);
  for (const label of legendLabels) expect(legend.some((l) => l.includes(label)), `legend has ${label}: ${legend.join(' | ')}`).toBe(true);
}

const record: ScoreRecord = {
  id: `run ${PAYLOADS.script}`,
  reward: 0,
  mistakeStep: 3,
  steps: [
    { message: 1, policy: [-1, -2], reference: [-1.5, -1] },
    { message: 3, policy: [-3, -0.5, -2], reference: [-1, -1, -1] },
    { message: 5, policy: [-0.2], reference: [-0.4] },
  ],
};

describe('step curve SVG', () => {
  it('draws a bar per step with its score, the running line, decisive step and labelled mistake, and a legend', () => {
    const evaluation = evaluateTrajectory({ line: 1, record }, { method: 'progress', tokenAggregation: 'mean', stepAggregation: 'mean', mode: 'difference', beta: 1, k: 1, unscored: 'skip', grouping: 'file-task' });
    const svg = curveSvg({
      curve: {
        stepMessages: [1, 3, 5],
        stepScores: evaluation.stepScores,
        runningAdvantage: evaluation.runningAdvantage,
        decisiveMessage: evaluation.predicted.min_cumulative,
        mistakeMessage: 3,
        overlays: [{ key: 'k', label: `other ${PAYLOADS.iframe}`, runningAdvantage: [0.5, 1] }],
      },
      trajectoryId: record.id,
      modelPair: PAIR,
      settings: SETTINGS,
      predictor: 'min_cumulative',
    });
    const root = svgRoot(svg);
    expect(textOf(byPart(root, 'title')[0])).toBe(`Step-evolution curve of run ${PAYLOADS.script}`);
    const bars = find(root, (e) => e.name === 'rect' && 'data-step' in e.attributes);
    expect(bars.map((b) => Number(b.attributes['data-score']))).toEqual(evaluation.stepScores);
    expect(bars.map((b) => b.attributes.fill)).toEqual(evaluation.stepScores.map((s) => ((s as number) < 0 ? '#b2182b' : '#2166ac')));
    expect(byPart(root, 'running')[0].attributes.d).toMatch(/^M[\d.]+,[\d.]+L/);
    expect(byPart(root, 'decisive-step')[0].attributes['data-message']).toBe(String(evaluation.predicted.min_cumulative));
    expect(byPart(root, 'labelled-mistake')[0].attributes['data-message']).toBe('3');
    expect(byPart(root, 'overlay')).toHaveLength(1);
    expectFrame(root, 'step-curve', ['step score ≥ 0', 'step score < 0', 'running advantage', `decisive step (min_cumulative): message ${evaluation.predicted.min_cumulative}`, 'labelled mistake: message 3', `other ${PAYLOADS.iframe}`]);
    expect(svgSize(svg)).toEqual({ width: Number(root.attributes.width), height: Number(root.attributes.height) });
  });
});

describe('heatmap SVG', () => {
  it('draws every token as a coloured rect with its text and figures, steps headed, newlines breaking lines', () => {
    const r = payloadRecord();
    const steps = r.steps.map((s, i) => ({
      stepNumber: i + 1,
      message: s.message,
      agent: s.agent ?? undefined,
      score: -0.25,
      tokens: s.policy.map((p, k) => ({ text: s.tokens![k], policy: p, reference: s.reference[k] })),
    }));
    const svg = heatmapSvg({ trajectoryId: r.id, modelPair: PAIR, settings: SETTINGS, steps, beta: 0.5, range: 2 });
    const root = svgRoot(svg);
    const tokens = byPart(root, 'token');
    expect(tokens).toHaveLength(7);
    const expected = r.steps.flatMap((s) => s.policy.map((p, k) => 0.5 * (p - s.reference[k])));
    expect(tokens.map((t) => Number(t.attributes['data-advantage']))).toEqual(expected);
    // The texts are there as text, payloads included (control characters become U+FFFD).
    const texts = tokens.map((t) => find(t, (e) => e.name === 'text').map(textOf).join(''));
    expect(texts[1]).toBe(PAYLOADS.jsUrl);
    expect(texts[2]).toBe(' then↵');
    expect(texts[3]).toBe(PAYLOADS.img);
    expect(texts[5]).toBe(PAYLOADS.script);
    expect(texts[6]).toBe('bell\uFFFD nul\uFFFD lone\uFFFD surrogate');
    // Each token's title carries its values.
    expect(textOf(find(tokens[0], (e) => e.name === 'title')[0])).toBe('"I call " · A +0.2500 · log π_θ -0.5000 · log π_ref -1.0000');
    // The newline token ends its line: the next token starts a new line, at the left margin.
    const xOf = (t: MarkupElement) => Number(find(t, (e) => e.name === 'rect')[0].attributes.x);
    const yOf = (t: MarkupElement) => Number(find(t, (e) => e.name === 'rect')[0].attributes.y);
    expect(xOf(tokens[3])).toBe(16);
    expect(yOf(tokens[3])).toBeGreaterThan(yOf(tokens[2]));
    expect(byPart(root, 'step-header').map(textOf)).toEqual([`step 1 · message 2 · agent ${PAYLOADS.iframe} · s = -0.2500`, 'step 2 · message 4 · s = -0.2500']);
    expect(textOf(byPart(root, 'title')[0])).toBe(`Token heatmap of ${r.id}, steps 1–2`);
    expectFrame(root, 'heatmap', ['A = β·(log π_θ − log π_ref) from −2 (lost ground, red) to +2 (gained, blue)']);
    // The ramp runs red → blue.
    const ramp = find(byPart(root, 'legend-item')[0], (e) => e.name === 'rect');
    expect(ramp).toHaveLength(11);
  });

  it('says how many tokens it left out when capped, and wraps long lines within the width', () => {
    const tokens = Array.from({ length: 500 }, (_, i) => ({ text: `word${i} `, policy: -1, reference: -1 + (i % 5) / 5 }));
    const svg = heatmapSvg({ trajectoryId: 'long', modelPair: PAIR, settings: SETTINGS, steps: [{ stepNumber: 1, message: 0, score: null, tokens }], beta: 1, range: 2, maxTokens: 120 });
    const root = svgRoot(svg);
    expect(byPart(root, 'token')).toHaveLength(120);
    expect(byPart(root, 'legend-item').map(textOf)).toContain('showing the first 120 of 500 tokens');
    expect(textOf(byPart(root, 'step-header')[0])).toContain('first 120 of 500 tokens');
    const width = Number(root.attributes.width);
    for (const rect of find(root, (e) => e.name === 'rect' && e.attributes.height === '16')) expect(Number(rect.attributes.x) + Number(rect.attributes.width)).toBeLessThanOrEqual(width - 16 + 0.01);
  });

  it('wraps long header lines instead of clipping them', () => {
    const settings = 'progress advantage (difference, β = 0.5) · token → step mean · step → trajectory mean · k = 1 · predictor min_cumulative · colour range ±2 · and more words to pass the width';
    const svg = heatmapSvg({ trajectoryId: 't', modelPair: PAIR, settings, steps: [], beta: 1, range: 2 });
    const root = svgRoot(svg);
    const lines = find(byPart(root, 'settings')[0], (e) => e.name === 'tspan').map(textOf);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join(' ')).toBe(settings);
    expect(wrapText('a '.repeat(500), 100, 10, 3)).toHaveLength(3);
  });

  it('lays out wide characters as two columns and shows tabs and newlines', () => {
    expect(textColumns('ab漢字😀')).toBe(8);
    expect(tokenLines('a\tb\nc\r\n')).toEqual(['a→b↵', 'c↵', '']);
    expect(fitText('x'.repeat(100), 55, 10)).toMatch(/^x+…$/);
  });
});

describe('ROC and sweep SVG', () => {
  const records = [
    { id: 'a', reward: 1, steps: [{ message: 0, policy: [-1], reference: [-2] }] },
    { id: 'b', reward: 0, steps: [{ message: 0, policy: [-2], reference: [-1] }] },
    { id: 'c', reward: 1, steps: [{ message: 0, policy: [-1], reference: [-1.5] }] },
    { id: 'd', reward: 0, steps: [{ message: 0, policy: [-1], reference: [-0.5] }] },
  ].map((record, i) => ({ line: i + 1, record: { ...record, taskId: 't' } }));
  const options = { method: 'progress' as const, tokenAggregation: 'mean' as const, stepAggregation: 'mean' as const, mode: 'difference' as const, beta: 1, k: 1, unscored: 'skip' as const, grouping: 'file-task' as const };

  it('ROC: the curve through the core’s points, the chance line, AUROC in title and legend', () => {
    const uq = evaluateRecords(records, options).uncertainty!;
    const root = svgRoot(rocSvg({ points: uq.roc!, auroc: uq.auroc, n: uq.n, modelPair: PAIR, settings: SETTINGS }));
    expect(uq.auroc).toBe(1);
    expect(byPart(root, 'roc-point')).toHaveLength(uq.roc!.length);
    expect(byPart(root, 'diagonal')).toHaveLength(1);
    expect(textOf(byPart(root, 'title')[0])).toBe('ROC curve (AUROC 1.0000, n = 4): trajectory score as confidence of success');
    expectFrame(root, 'roc-curve', ['ROC curve (AUROC 1.0000)', 'chance']);
  });

  it('sweep: one cell per aggregation pair with its value and colour, the current one outlined', () => {
    const sweep = sweepAggregations(records, options, 'auroc', 'min_cumulative');
    const root = svgRoot(sweepSvg({ sweep, metricLabel: 'AUROC of progress', current: { tokenAggregation: 'mean', stepAggregation: 'sum' }, modelPair: PAIR, settings: SETTINGS }));
    const cells = byPart(root, 'cell');
    expect(cells).toHaveLength(sweep.tokenAggregations.length * sweep.stepAggregations.length);
    for (const cell of cells) {
      const i = sweep.tokenAggregations.indexOf(cell.attributes['data-token-aggregation'] as never);
      const j = sweep.stepAggregations.indexOf(cell.attributes['data-step-aggregation'] as never);
      expect(cell.attributes['data-value']).toBe(sweep.values[i][j] === null ? '' : String(sweep.values[i][j]));
      expect(textOf(cell)).toBe(sweep.values[i][j] === null ? '—' : sweep.values[i][j]!.toFixed(4));
    }
    const outlined = cells.filter((c) => c.attributes['data-current'] === 'true');
    expect(outlined.map((c) => [c.attributes['data-token-aggregation'], c.attributes['data-step-aggregation']])).toEqual([['mean', 'sum']]);
    // The outline is drawn last, over the cell's own rect, so no neighbour covers it.
    const outline = byPart(root, 'current-cell')[0];
    const rect = find(outlined[0], (e) => e.name === 'rect')[0];
    expect([outline.attributes.x, outline.attributes.y]).toEqual([rect.attributes.x, rect.attributes.y]);
    const chart = byPart(root, 'chart')[0].children.filter((n) => typeof n !== 'string');
    expect(chart[chart.length - 1]).toBe(outline);
    expectFrame(root, 'sweep-table', ['(worse) to', 'outlined: the current setting']);
  });
});
