import { describe, expect, it } from 'vitest';
import { buildCurveModel, CURVE_MARGIN, MIN_CURVE_WIDTH, overlayColour, OVERLAY_COLOURS, valueExtent, type CurveInput } from '../../../../src/ui/curve/curve-model';

/** The points of an SVG path written by d3.line (M x,y L x,y …). */
function pathPoints(path: string): [number, number][] {
  return [...path.matchAll(/[ML]([-\d.e]+),([-\d.e]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

const base: CurveInput = {
  // Action steps at messages 2, 4, 6, 8 (odd messages are tool results, 0–1 system and user).
  stepMessages: [2, 4, 6, 8],
  stepScores: [0.5, -1.5, 0.25, -0.25],
  runningAdvantage: [0.5, -1, -0.75, -1],
  decisiveMessage: 4,
  mistakeMessage: null,
  overlays: [],
  width: 600,
  height: 240,
};

describe('buildCurveModel', () => {
  it('makes one mark per action step, numbered from 1, with its message index', () => {
    const model = buildCurveModel(base);
    expect(model.steps.map((s) => s.stepNumber)).toEqual([1, 2, 3, 4]);
    expect(model.steps.map((s) => s.message)).toEqual([2, 4, 6, 8]);
    expect(model.steps.map((s) => s.score)).toEqual(base.stepScores);
    expect(model.steps.map((s) => s.running)).toEqual(base.runningAdvantage);
  });

  it('spaces the steps evenly across the plot, each band touching the next', () => {
    const model = buildCurveModel(base);
    const { plot } = model;
    expect(plot).toEqual({ left: CURVE_MARGIN.left, top: CURVE_MARGIN.top, right: 600 - CURVE_MARGIN.right, bottom: 240 - CURVE_MARGIN.bottom });
    const gaps = model.steps.slice(1).map((s, i) => s.x - model.steps[i].x);
    for (const gap of gaps) expect(gap).toBeCloseTo((plot.right - plot.left) / 4, 9);
    expect(model.steps[0].bandX).toBeCloseTo(plot.left, 9);
    expect(model.steps[3].bandX + model.steps[3].bandWidth).toBeCloseTo(plot.right, 9);
    for (const s of model.steps) expect(s.barWidth).toBeLessThan(s.bandWidth);
  });

  it('draws gains above the zero line and losses below it, heights proportional to the score', () => {
    const model = buildCurveModel(base);
    const [gain, loss] = model.steps;
    expect(gain.barY + gain.barHeight).toBeCloseTo(model.zeroY, 9);
    expect(gain.barY).toBeLessThan(model.zeroY);
    expect(loss.barY).toBeCloseTo(model.zeroY, 9);
    expect(loss.barHeight / gain.barHeight).toBeCloseTo(3, 9);
  });

  it('covers 0 and every value on a nice y domain', () => {
    const model = buildCurveModel(base);
    const [low, high] = model.yDomain;
    expect(low).toBeLessThanOrEqual(-1.5);
    expect(high).toBeGreaterThanOrEqual(0.5);
    expect(model.zeroY).toBeGreaterThan(model.plot.top);
    expect(model.zeroY).toBeLessThan(model.plot.bottom);
    for (const t of model.yTicks) expect(t.value).toBeGreaterThanOrEqual(low);
    expect(model.yTicks.map((t) => t.value)).toContain(0);
  });

  it('runs the running-advantage path through the running point of every step', () => {
    const model = buildCurveModel(base);
    const points = pathPoints(model.runningPath);
    expect(points).toHaveLength(4);
    points.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(model.steps[i].x, 2); // d3 writes paths to 3 decimals
      expect(y).toBeCloseTo(model.steps[i].runningY as number, 2);
    });
  });

  it('marks the decisive step at its step, and none for a message that is no action step', () => {
    const model = buildCurveModel(base);
    expect(model.decisive).toEqual({ message: 4, x: model.steps[1].x, position: 1, onStep: true });
    expect(buildCurveModel({ ...base, decisiveMessage: null }).decisive).toBeNull();
    expect(buildCurveModel({ ...base, decisiveMessage: 5 }).decisive).toBeNull();
  });

  it('marks a labelled mistake on its step, between steps, or before the first', () => {
    const onStep = buildCurveModel({ ...base, mistakeMessage: 6 });
    expect(onStep.mistake).toEqual({ message: 6, x: onStep.steps[2].x, position: 2, onStep: true });

    // Message 5 (a tool result) lies between steps 2 (message 4) and 3 (message 6).
    const between = buildCurveModel({ ...base, mistakeMessage: 5 });
    expect(between.mistake?.onStep).toBe(false);
    expect(between.mistake?.position).toBe(1);
    expect(between.mistake?.x).toBeCloseTo((between.steps[1].x + between.steps[2].x) / 2, 9);

    const before = buildCurveModel({ ...base, mistakeMessage: 1 });
    expect(before.mistake).toMatchObject({ message: 1, position: -1, onStep: false });
    expect(before.mistake?.x).toBeCloseTo(before.plot.left, 9);

    expect(buildCurveModel(base).mistake).toBeNull();
  });

  it('widens the x axis to the longest overlay and draws each overlay through its own steps', () => {
    const model = buildCurveModel({
      ...base,
      overlays: [
        { key: '1:1', label: 'b', runningAdvantage: [1, 2, 3, 2, 1, 0] },
        { key: '1:2', label: 'c', runningAdvantage: [-3] },
      ],
    });
    expect(model.stepCount).toBe(6);
    expect(model.steps).toHaveLength(4);
    expect(pathPoints(model.overlays[0].path)).toHaveLength(6);
    expect(pathPoints(model.overlays[1].path)).toHaveLength(1);
    expect(model.overlays.map((o) => [o.key, o.label, o.steps])).toEqual([
      ['1:1', 'b', 6],
      ['1:2', 'c', 1],
    ]);
    // The overlay's extreme widens the y domain too.
    expect(model.yDomain[0]).toBeLessThanOrEqual(-3);
    expect(model.yDomain[1]).toBeGreaterThanOrEqual(3);
    // The last overlay point sits at step 6, the right end of the axis less half a band.
    const last = pathPoints(model.overlays[0].path)[5];
    expect(last[0]).toBeCloseTo(model.plot.right - (model.plot.right - model.plot.left) / 12, 2);
  });

  it('puts integer x ticks on steps only', () => {
    const model = buildCurveModel({ ...base, stepMessages: [1, 3, 5], stepScores: [1, 2, 3], runningAdvantage: [1, 3, 6] });
    expect(model.xTicks.map((t) => t.value)).toEqual([1, 2, 3]);
    model.xTicks.forEach((t, i) => expect(t.at).toBeCloseTo(model.steps[i].x, 9));
    const many = buildCurveModel({
      ...base,
      stepMessages: Array.from({ length: 200 }, (_, i) => i),
      stepScores: new Array(200).fill(0.1),
      runningAdvantage: Array.from({ length: 200 }, (_, i) => 0.1 * (i + 1)),
    });
    expect(many.xTicks.length).toBeLessThanOrEqual(Math.floor((many.plot.right - many.plot.left) / 48));
    for (const t of many.xTicks) expect(Number.isInteger(t.value) && t.value >= 1 && t.value <= 200).toBe(true);
  });

  it('has no marks and an empty path without action steps', () => {
    const model = buildCurveModel({ ...base, stepMessages: [], stepScores: [], runningAdvantage: [], decisiveMessage: null });
    expect(model.steps).toEqual([]);
    expect(model.runningPath).toBe('');
    expect(model.yDomain).toEqual([-1, 1]);
  });

  it('keeps a minimum width and rejects mismatched series', () => {
    expect(buildCurveModel({ ...base, width: 50 }).width).toBe(MIN_CURVE_WIDTH);
    expect(() => buildCurveModel({ ...base, stepScores: [1, 2] })).toThrow(RangeError);
    expect(() => buildCurveModel({ ...base, runningAdvantage: [1] })).toThrow(RangeError);
  });
});

describe('valueExtent', () => {
  it('spans 0 and every finite value; all equal widens to ±1', () => {
    expect(valueExtent([[2, 3], [5]])).toEqual([0, 5]);
    expect(valueExtent([[-2, 1], [Number.NaN]])).toEqual([-2, 1]);
    expect(valueExtent([[0, 0]])).toEqual([-1, 1]);
    expect(valueExtent([])).toEqual([-1, 1]);
  });
});

describe('overlayColour', () => {
  it('cycles through the palette', () => {
    expect(overlayColour(0)).toBe(OVERLAY_COLOURS[0]);
    expect(overlayColour(OVERLAY_COLOURS.length + 1)).toBe(OVERLAY_COLOURS[1]);
    expect(new Set(OVERLAY_COLOURS).size).toBe(OVERLAY_COLOURS.length);
  });
});
