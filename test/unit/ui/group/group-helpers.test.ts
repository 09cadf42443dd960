import { describe, expect, it } from 'vitest';
import { canonicalJson, firstDivergence, sameMessage } from '../../../../src/ui/group/divergence';
import { buildSparkline } from '../../../../src/ui/group/sparkline';
import type { Message } from '../../../../src/core/trajectory/types';

const msg = (role: Message['role'], content: string, extra: Partial<Message> = {}): Message => ({ role, sourceRole: role, content, ...extra });

const shared = [msg('system', 'You are an agent.'), msg('user', 'Refund booking ABC123')];

describe('firstDivergence', () => {
  it('is null for the same messages', () => {
    expect(firstDivergence(shared, [...shared])).toBeNull();
  });

  it('finds the first message whose text differs', () => {
    const a = [...shared, msg('assistant', 'Looking it up'), msg('tool', 'ok')];
    const b = [...shared, msg('assistant', 'Refunding now'), msg('tool', 'ok')];
    expect(firstDivergence(a, b)).toBe(2);
  });

  it('counts a different role or agent as a divergence', () => {
    expect(firstDivergence([...shared, msg('assistant', 'x')], [...shared, msg('user', 'x')])).toBe(2);
    expect(firstDivergence([msg('assistant', 'x', { name: 'Planner' })], [msg('assistant', 'x', { name: 'Coder' })])).toBe(0);
  });

  it('compares tool calls by name and arguments, not by call id or key order', () => {
    const call = (id: string, args: Record<string, unknown>) => msg('assistant', '', { toolCalls: [{ id, name: 'get_booking', arguments: args }] });
    expect(firstDivergence([...shared, call('c1', { id: 'ABC', n: 1 })], [...shared, call('c9', { n: 1, id: 'ABC' })])).toBeNull();
    expect(firstDivergence([...shared, call('c1', { id: 'ABC' })], [...shared, call('c1', { id: 'XYZ' })])).toBe(2);
    const renamed = msg('assistant', '', { toolCalls: [{ name: 'cancel_booking', arguments: { id: 'ABC' } }] });
    expect(firstDivergence([...shared, call('c1', { id: 'ABC' })], [...shared, renamed])).toBe(2);
    const twoCalls = msg('assistant', '', { toolCalls: [{ name: 'get_booking', arguments: { id: 'ABC' } }, { name: 'get_user', arguments: {} }] });
    expect(firstDivergence([...shared, call('c1', { id: 'ABC' })], [...shared, twoCalls])).toBe(2);
  });

  it('compares unparseable argument strings as written, and parseable ones by content', () => {
    const raw = (rawArguments: string) => msg('assistant', '', { toolCalls: [{ name: 'f', arguments: {}, rawArguments }] });
    expect(sameMessage(raw('{oops'), raw('{oops'))).toBe(true);
    expect(sameMessage(raw('{oops'), raw('{oops!'))).toBe(false);
    expect(sameMessage(raw('{}'), raw('{ }'))).toBe(true);
  });

  it('gives the end of the shorter one when one is a prefix of the other', () => {
    const longer = [...shared, msg('assistant', 'a'), msg('tool', 'b')];
    expect(firstDivergence(longer, shared)).toBe(2);
    expect(firstDivergence(shared, longer)).toBe(2);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined values', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: undefined } })).toBe('{"a":{"d":[1,{"e":3,"f":2}]},"b":1}');
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson('x')).toBe('"x"');
  });
});

describe('buildSparkline', () => {
  it('draws one point per step inside the box, with the zero line and the marked step', () => {
    const spark = buildSparkline([1, -1, -3, -2], 100, 40, 2);
    const points = [...spark.path.matchAll(/[ML]([-\d.e]+),([-\d.e]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(points).toHaveLength(4);
    for (const [x, y] of points) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(100);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(40);
    }
    // The lowest value is drawn lowest (largest y), the highest highest.
    expect(points[2][1]).toBe(Math.max(...points.map((p) => p[1])));
    expect(points[0][1]).toBe(Math.min(...points.map((p) => p[1])));
    // d3 writes paths to 3 decimals.
    expect(spark.marked?.x).toBeCloseTo(points[2][0], 2);
    expect(spark.marked?.y).toBeCloseTo(points[2][1], 2);
    // Zero lies between the first value (1) and the second (−1).
    expect(spark.zeroY).toBeGreaterThan(points[0][1]);
    expect(spark.zeroY).toBeLessThan(points[1][1]);
  });

  it('has no path and no mark without steps, and ignores a mark out of range', () => {
    expect(buildSparkline([], 100, 40, 0)).toMatchObject({ path: '', marked: null });
    expect(buildSparkline([1, 2], 100, 40, 5).marked).toBeNull();
    expect(buildSparkline([1, 2], 100, 40, null).marked).toBeNull();
  });
});
