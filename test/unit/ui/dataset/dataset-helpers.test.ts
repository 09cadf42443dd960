import { describe, expect, it } from 'vitest';
import { interpolateViridis } from 'd3';
import { formatMetric, formatPercent, formatSigned } from '../../../../src/ui/dataset/format-metric';
import { buildRocModel, ROC_MARGIN } from '../../../../src/ui/dataset/roc-model';
import { lowerIsBetter, sweepCellColours } from '../../../../src/ui/dataset/sweep-colours';
import { rocCurve } from '../../../../src/core/metrics/uncertainty';

describe('formatMetric', () => {
  it('writes 4 decimals, or a dash for an undefined value', () => {
    expect(formatMetric(0.123456)).toBe('0.1235');
    expect(formatMetric(1)).toBe('1.0000');
    expect(formatMetric(-0.5, 2)).toBe('-0.50');
    expect(formatMetric(null)).toBe('—');
    expect(formatMetric(undefined)).toBe('—');
    expect(formatMetric(Number.NaN)).toBe('—');
  });

  it('signs advantages, and writes no sign for a zero', () => {
    expect(formatSigned(0.25)).toBe('+0.2500');
    expect(formatSigned(-0.25)).toBe('-0.2500');
    expect(formatSigned(-0.00001)).toBe('0.0000');
    expect(formatSigned(0)).toBe('0.0000');
  });

  it('writes percentages with one decimal', () => {
    expect(formatPercent(0.5)).toBe('50.0 %');
    expect(formatPercent(null)).toBe('—');
  });
});

describe('buildRocModel', () => {
  it('maps the core ROC points into the plot, (0,0) bottom left and (1,1) top right, with the diagonal', () => {
    const points = rocCurve([0.9, 0.8, 0.3, 0.1], [true, false, true, false])!;
    const model = buildRocModel(points, 200);
    const { plot } = model;
    expect(plot).toEqual({ left: ROC_MARGIN.left, top: ROC_MARGIN.top, right: 200 - ROC_MARGIN.right, bottom: 200 - ROC_MARGIN.bottom });
    expect(model.points[0]).toMatchObject({ x: plot.left, y: plot.bottom });
    expect(model.points[model.points.length - 1]).toMatchObject({ x: plot.right, y: plot.top });
    expect(model.diagonal).toEqual({ x1: plot.left, y1: plot.bottom, x2: plot.right, y2: plot.top });
    for (const p of model.points) {
      expect(p.x).toBeCloseTo(plot.left + p.point.fpr * (plot.right - plot.left), 9);
      expect(p.y).toBeCloseTo(plot.bottom - p.point.tpr * (plot.bottom - plot.top), 9);
    }
    expect([...model.path.matchAll(/[ML]/g)]).toHaveLength(points.length);
    expect(model.ticks.map((t) => t.value)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });
});

describe('sweepCellColours', () => {
  it('runs viridis from the lowest to the highest defined value; undefined cells get none', () => {
    const colours = sweepCellColours(
      [
        [0.5, 0.75, null],
        [1, 0.5, 0.5],
      ],
      'auroc',
    );
    expect(colours[0][0]?.t).toBe(0);
    expect(colours[1][0]?.t).toBe(1);
    expect(colours[0][1]?.t).toBeCloseTo(0.5, 12);
    expect(colours[0][2]).toBeNull();
    expect(colours[1][0]?.background).toBe(interpolateViridis(1));
    // Dark end: white text; bright end: dark text.
    expect(colours[0][0]?.text).toBe('#ffffff');
    expect(colours[1][0]?.text).toBe('#111111');
  });

  it('turns the scale round where lower is better (MAE)', () => {
    expect(lowerIsBetter('fa-mae')).toBe(true);
    expect(lowerIsBetter('fa-accuracy')).toBe(false);
    const colours = sweepCellColours([[1, 3]], 'fa-mae');
    expect(colours[0][0]?.t).toBe(1);
    expect(colours[0][1]?.t).toBe(0);
  });

  it('puts equal values mid-scale', () => {
    expect(sweepCellColours([[0.7, 0.7]], 'auroc')[0].map((c) => c?.t)).toEqual([0.5, 0.5]);
  });
});
