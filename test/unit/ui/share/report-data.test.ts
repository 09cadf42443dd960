import { describe, expect, it } from 'vitest';
import { buildReport, type ReportSource } from '../../../../src/ui/share/report-data';
import { evaluateRecords, evaluateTrajectory } from '../../../../src/core/scores/evaluate';
import type { Trajectory } from '../../../../src/core/trajectory/types';
import { activeContent, byPart, find, parseMarkup, textOf, type MarkupElement } from './images/markup-parser';
import { ALL_PAYLOADS, PAYLOADS, payloadRecord, payloadTrajectory } from '../../core/bundle/fixtures';
import { DEFAULT_ANALYSIS_SETTINGS_FOR_TESTS } from './settings';

const settings = { ...DEFAULT_ANALYSIS_SETTINGS_FOR_TESTS, evaluation: { ...DEFAULT_ANALYSIS_SETTINGS_FOR_TESTS.evaluation, beta: 0.5 } };
const PAIR = `policy ${PAYLOADS.svg} · reference ${PAYLOADS.img}`;

function source(trajectory: Trajectory = payloadTrajectory(), scored = true): ReportSource {
  const record = payloadRecord(trajectory);
  return {
    fileName: `${PAYLOADS.img}.jsonl`,
    trajectory,
    result: scored ? { record, notScored: [], stepLevelOnly: false } : undefined,
    evaluation: scored ? evaluateTrajectory({ line: 1, record }, settings.evaluation) : undefined,
    modelPair: PAIR,
  };
}

function report(sources: ReportSource[], set = sources.length > 1): { html: string; doc: MarkupElement } {
  const html = buildReport({
    title: `Report ${PAYLOADS.script}`,
    createdAt: new Date('2026-03-01T12:00:00Z'),
    appName: 'progress-advantage',
    appVersion: '0.1.0',
    settings,
    sources,
    setReport: set ? evaluateRecords(sources.filter((s) => s.result).map((s, i) => ({ line: i + 1, record: { ...s.result!.record, id: `${i}` } })), settings.evaluation) : null,
  });
  return { html, doc: parseMarkup(html, 'html') };
}

describe('HTML report', () => {
  it('is one static document: no script, no external reference, a CSP that forbids both', () => {
    const { html, doc } = report([source()]);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(activeContent(doc)).toEqual([]);
    const csp = find(doc, (e) => e.name === 'meta' && e.attributes['http-equiv'] === 'Content-Security-Policy')[0];
    expect(csp.attributes.content).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'");
    // The style sheet came through unharmed (no entity inside <style>, which HTML would not decode).
    const style = textOf(find(doc, (e) => e.name === 'style')[0]);
    expect(style).not.toContain('&');
    expect(style).toContain('.adv-n20{background:');
    expect(find(doc, (e) => e.name === 'script')).toEqual([]);
  });

  it('shows every untrusted text as text: ids, file names, messages, tool calls, agents, model names', () => {
    const { doc } = report([source()]);
    const text = textOf(doc);
    expect(textOf(find(doc, (e) => e.name === 'title')[0])).toBe(`Report ${PAYLOADS.script}`);
    expect(textOf(byPart(doc, 'title')[0])).toBe(`Report ${PAYLOADS.script}`);
    const section = byPart(doc, 'trajectory')[0];
    expect(section.attributes['data-trajectory-id']).toBe(`traj ${PAYLOADS.img}`);
    expect(textOf(find(section, (e) => e.name === 'h2')[0])).toBe(`traj ${PAYLOADS.img}`);
    for (const expected of [
      `${PAYLOADS.img}.jsonl`,
      `task ${PAYLOADS.svg}`,
      `system ${PAYLOADS.script}`,
      `user ${ALL_PAYLOADS.replace(/\u0000|\u0007|\uD800/g, '\uFFFD')}`,
      `tool ${PAYLOADS.img}`,
      `"key ${PAYLOADS.script}": "value ${PAYLOADS.iframe}"`,
      `agent ${PAYLOADS.iframe}`,
      `message 2 by agent ${PAYLOADS.svg}`,
      PAIR,
    ]) {
      expect(text.includes(expected), expected).toBe(true);
    }
  });

  it('colours each scored token with its advantage (β applied) and values in its tooltip', () => {
    const { doc } = report([source()]);
    const record = payloadRecord();
    const tokens = find(doc, (e) => e.name === 'span' && 'data-advantage' in e.attributes);
    const expected = record.steps.flatMap((s) => s.policy.map((p, i) => 0.5 * (p - s.reference[i])));
    expect(tokens.map((t) => t.attributes['data-advantage'])).toEqual(expected.map(String));
    expect(tokens.map(textOf)).toEqual(record.steps.flatMap((s) => s.tokens!).map((t) => t.replace(/\u0000|\u0007|\uD800/g, '\uFFFD')));
    expect(tokens[0].attributes.title).toBe('A +0.2500 · log π_θ -0.5000 · log π_ref -1.0000');
    expect(tokens[0].attributes.class).toBe('t adv-p3');
    expect(byPart(doc, 'heatmap-legend')).toHaveLength(1);
  });

  it('marks the decisive step, the labelled mistake and the settings used; draws the curve', () => {
    const s = source();
    const { doc } = report([s]);
    const decisive = s.evaluation!.predicted.min_cumulative;
    const badge = byPart(doc, 'decisive-badge');
    expect(badge).toHaveLength(1);
    const decisiveArticle = find(doc, (e) => e.name === 'article' && e.attributes['data-message-index'] === String(decisive))[0];
    expect(decisiveArticle.attributes.class).toContain('decisive');
    expect(find(doc, (e) => e.name === 'article' && e.attributes.class.includes('mistake')).map((e) => e.attributes['data-message-index'])).toEqual(['2']);
    const settingsText = textOf(byPart(doc, 'settings')[0]);
    for (const expected of ['β0.5', 'token → step aggregationmean', 'step → trajectory aggregationmean', 'decisive-step predictormin_cumulative (lowest running advantage)', 'heatmap colour range±2', `model pair${PAIR}`]) {
      expect(settingsText).toContain(expected);
    }
    const curve = byPart(doc, 'step-curve')[0];
    expect(find(curve, (e) => e.name === 'rect' && 'data-step' in e.attributes)).toHaveLength(2);
    expect(find(curve, (e) => e.attributes['data-part'] === 'decisive-step')[0].attributes['data-message']).toBe(String(decisive));
  });

  it('says so at the top when it shows fewer trajectories than it evaluated', () => {
    const html = buildReport({
      title: 'r',
      createdAt: new Date(0),
      appName: 'a',
      appVersion: '1',
      settings,
      sources: [source()],
      setReport: null,
      omitted: `The first 1 of 500 <b>trajectories</b> are shown.`,
    });
    expect(textOf(byPart(parseMarkup(html, 'html'), 'omitted')[0])).toBe('The first 1 of 500 <b>trajectories</b> are shown.');
  });

  it('a set report lists the trajectories, links to their sections and gives the dataset figures', () => {
    const second = payloadTrajectory(`second ${PAYLOADS.svg}`);
    second.labels = { reward: 1, success: true };
    const unscored = payloadTrajectory('not scored yet');
    const { doc } = report([source(), { ...source(second), result: { record: { ...payloadRecord(second), reward: 1 }, notScored: [], stepLevelOnly: false } }, source(unscored, false)]);
    const links = find(byPart(doc, 'contents')[0], (e) => e.name === 'a').map((a) => a.attributes.href);
    expect(links).toEqual(['#t-1', '#t-2', '#t-3']);
    expect(byPart(doc, 'trajectory').map((s) => s.attributes.id)).toEqual(['t-1', 't-2', 't-3']);
    const summary = textOf(byPart(doc, 'summary')[0]);
    expect(summary).toContain('trajectories evaluated2');
    expect(summary).toContain('AUROC (score as confidence of success)');
    expect(textOf(byPart(doc, 'trajectory')[2])).toContain('scorenot scored');
    expect(activeContent(doc)).toEqual([]);
  });
});

describe('HTML report: notes', () => {
  it('lists each note with its span, tags and text, all as text', () => {
    const notes = [
      { message: 2, tokens: null, text: `whole step ${PAYLOADS.img}`, tags: ['recovery'], created: '2026-12-05T08:30:00.000Z' },
      { message: 4, tokens: { start: 1, end: 3 }, text: `gave up ${PAYLOADS.script}`, tags: ['decisive', `tag ${PAYLOADS.svg}`.slice(0, 40)], created: '2026-12-05T08:31:00.000Z' },
    ];
    const { doc } = report([{ ...source(), notes }]);
    expect(activeContent(doc)).toEqual([]);
    const items = byPart(doc, 'note');
    expect(items.map((li) => textOf(byPart(li, 'note-span')[0]))).toEqual(['message 2 (the whole step)', 'message 4, tokens 2–3']);
    expect(items.map((li) => textOf(byPart(li, 'note-text')[0]))).toEqual(notes.map((n) => n.text));
    expect(byPart(items[1], 'note-tag').map(textOf)).toEqual(notes[1].tags);
    expect(byPart(report([source()]).doc, 'notes')).toEqual([]);
  });
});
