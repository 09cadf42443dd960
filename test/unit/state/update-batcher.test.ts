/**
 * The batcher that applies a scoring job's arrivals: items are applied together, in order, after
 * a wait; the wait grows with what the last update cost (so that applying takes at most its share
 * of the page's time), within its bounds; flush applies at once, discard drops. A job's arrivals
 * are settled only once every trajectory has its result or error and the progress says so.
 */
import { describe, expect, it } from 'vitest';
import { appendAll } from '../../../src/core/arrays';
import { JobArrivals, UpdateBatcher, type JobArrival } from '../../../src/state/update-batcher';

/** A manual clock and timer queue. */
function fakeTimers() {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; run: () => void }>();
  return {
    now: () => now,
    setTimer: (run: () => void, ms: number) => {
      const id = nextId++;
      timers.set(id, { at: now + ms, run });
      return id;
    },
    clearTimer: (id: unknown) => void timers.delete(id as number),
    /** Moves the clock, running due timers in time order. */
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= Math.max(end, now)).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
        if (!due) break;
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].run();
      }
      now = Math.max(now, end);
    },
    /** Time passes inside an apply (its cost). */
    spend(ms: number) {
      now += ms;
    },
    pending: () => timers.size,
  };
}

describe('UpdateBatcher', () => {
  it('applies what arrived during the wait together, in order, once', () => {
    const clock = fakeTimers();
    const applied: number[][] = [];
    const batcher = new UpdateBatcher<number>((items) => applied.push(items), { ...clock, minIntervalMs: 250 });
    for (let i = 0; i < 1000; i++) batcher.add(i);
    expect(applied).toEqual([]);
    clock.advance(249);
    expect(applied).toEqual([]);
    clock.advance(1);
    expect(applied).toHaveLength(1);
    expect(applied[0]).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    batcher.add(1000);
    clock.advance(250);
    expect(applied).toEqual([applied[0], [1000]]);
  });

  it('spaces updates by what the last one cost, within its bounds', () => {
    const clock = fakeTimers();
    let cost = 0;
    const batcher = new UpdateBatcher<string>(() => clock.spend(cost), { ...clock, minIntervalMs: 250, maxIntervalMs: 2000, share: 0.2 });
    // Cheap updates: the shortest wait.
    cost = 10;
    batcher.add('a');
    clock.advance(250);
    expect(batcher.nextDelayMs).toBe(250);
    // An update of 100 ms: 400 ms of other work for it, at a 20 % share.
    cost = 100;
    batcher.add('b');
    clock.advance(250);
    expect(batcher.nextDelayMs).toBe(400);
    // A very costly one: never more than the longest wait (it bounds what a crash can lose).
    cost = 5000;
    batcher.add('c');
    clock.advance(400);
    expect(batcher.nextDelayMs).toBe(2000);
  });

  it('flushes at once when asked, and drops what is queued on discard', () => {
    const clock = fakeTimers();
    const applied: string[][] = [];
    const batcher = new UpdateBatcher<string>((items) => applied.push(items), clock);
    batcher.add('a');
    batcher.add('b');
    batcher.flush();
    expect(applied).toEqual([['a', 'b']]);
    // Nothing queued: a flush applies nothing (no empty update).
    batcher.flush();
    expect(applied).toHaveLength(1);
    batcher.add('c');
    batcher.discard();
    clock.advance(5000);
    expect(applied).toHaveLength(1);
  });
});

describe('JobArrivals', () => {
  type Arrival = JobArrival<string, { trajectoriesDone: number }>;
  const flushed = () => new Promise((resolve) => setTimeout(resolve, 0));

  it('settles only when every trajectory has arrived and the progress has caught up, then applies everything', async () => {
    const applied: Arrival[] = [];
    const arrivals = new JobArrivals<string, { trajectoriesDone: number }>(3, (batch) => appendAll(applied, batch), { minIntervalMs: 60_000 });
    arrivals.result('a');
    arrivals.progress({ trajectoriesDone: 1 });
    arrivals.error('b', 'too long');
    arrivals.progress({ trajectoriesDone: 2 });
    let settled = false;
    const settling = arrivals.settled(60_000).then(() => (settled = true));
    await flushed();
    expect(settled).toBe(false);
    // The last result came after the job's end: not settled until the progress has it too.
    arrivals.result('c');
    await flushed();
    expect(settled).toBe(false);
    arrivals.progress({ trajectoriesDone: 3 });
    await settling;
    expect(applied).toEqual([{ result: 'a' }, { progress: { trajectoriesDone: 1 } }, { error: { key: 'b', message: 'too long' } }, { progress: { trajectoriesDone: 2 } }, { result: 'c' }, { progress: { trajectoriesDone: 3 } }]);
  });

  it('gives up waiting after its timeout (a lost message does not hold the job open) and applies what came', async () => {
    const applied: Arrival[] = [];
    const arrivals = new JobArrivals<string, { trajectoriesDone: number }>(2, (batch) => appendAll(applied, batch), { minIntervalMs: 60_000 });
    arrivals.result('a');
    const started = Date.now();
    await arrivals.settled(50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(applied).toEqual([{ result: 'a' }]);
  });
});
