import { describe, expect, it } from 'vitest';
import { decodeViewLink, encodeViewLink, findLinkedTrajectory, viewLinkOf, type ViewLink } from '../../../src/state/permalink';
import { DEFAULT_ANALYSIS_SETTINGS } from '../../../src/state/analysis';
import { loadedFile } from './persistence/fixtures';

const full: ViewLink = {
  file: 'runs & results = #1 ü.jsonl',
  trajectory: 'task/7?try=2',
  step: 4,
  tokens: { start: 3, end: 9 },
  tab: 'group',
  settings: { tokenAggregation: 'max', stepAggregation: 'bottom10', mode: 'per-model', method: 'progress', beta: 0.25, k: 3, predictor: 'sharpest_abs_drop', colourRange: 1.5 },
};

const reasonOf = (hash: string) => {
  const decoded = decodeViewLink(hash);
  return decoded.kind === 'invalid' ? decoded.reason : `not invalid: ${decoded.kind}`;
};

describe('view links (#v=1&…)', () => {
  it('round-trip every field, names with &, =, #, / and non-ASCII included', () => {
    const hash = encodeViewLink(full);
    expect(hash.startsWith('v=1&file=')).toBe(true);
    expect(decodeViewLink(`#${hash}`)).toEqual({ kind: 'view', link: full });
    expect(decodeViewLink(hash)).toEqual({ kind: 'view', link: full });
  });

  it('write the documented keys', () => {
    expect(encodeViewLink({ file: 'a.jsonl', trajectory: 'x', step: 2, tokens: { start: 0, end: 1 }, tab: 'trajectory', settings: { beta: 1, k: 1 } })).toBe(
      'v=1&file=a.jsonl&traj=x&step=2&tokens=0-1&tab=trajectory&beta=1&k=1',
    );
  });

  it('read a link with settings only, and tell an empty hash and a snippet link apart', () => {
    expect(decodeViewLink('#v=1&tagg=sum&range=0.5')).toEqual({ kind: 'view', link: { settings: { tokenAggregation: 'sum', colourRange: 0.5 } } });
    expect(decodeViewLink('')).toEqual({ kind: 'none' });
    expect(decodeViewLink('#')).toEqual({ kind: 'none' });
    expect(decodeViewLink('#snippet=eJzLSM3JyQcABiwCFQ')).toEqual({ kind: 'snippet' });
  });

  it('reject unknown versions and a missing version', () => {
    expect(reasonOf('#v=2&traj=x')).toBe('version v=2 is unknown to this app (it reads v=1)');
    expect(reasonOf('#v=01')).toBe('version v=01 is unknown to this app (it reads v=1)');
    expect(reasonOf('#traj=x')).toBe('no version (v=1)');
  });

  it('reject bad values, unknown and repeated keys, and links that do not hang together', () => {
    expect(reasonOf('#v=1&beta=-1')).toBe('beta: Too small: expected number to be >0');
    expect(reasonOf('#v=1&beta=0')).toContain('beta');
    expect(reasonOf('#v=1&beta=abc')).toContain('beta: expected a number');
    expect(reasonOf('#v=1&beta=Infinity')).toContain('beta');
    expect(reasonOf('#v=1&range=1e999')).toContain('range');
    expect(reasonOf('#v=1&k=0')).toBe('k: Too small: expected number to be >=1');
    expect(reasonOf('#v=1&k=1.5')).toContain('k: expected a whole number');
    expect(reasonOf('#v=1&tagg=median')).toContain('tagg');
    expect(reasonOf('#v=1&tab=settings')).toContain('tab');
    expect(reasonOf('#v=1&traj=x&step=-1')).toBe('step: expected a whole number ≥ 0');
    expect(reasonOf('#v=1&traj=x&step=2&tokens=5-3')).toBe('tokens: the start must be below the end');
    expect(reasonOf('#v=1&traj=x&step=2&tokens=4')).toContain('tokens: expected start-end');
    expect(reasonOf('#v=1&step=2')).toBe('step: a step needs a trajectory (traj)');
    expect(reasonOf('#v=1&traj=x&tokens=1-2')).toBe('tokens: a token range needs a step');
    expect(reasonOf('#v=1&file=a.jsonl')).toBe('file: a file needs a trajectory (traj)');
    expect(reasonOf('#v=1&colour=red')).toBe('unknown key colour');
    expect(reasonOf('#v=1&traj=a&traj=b')).toBe('“traj” appears twice');
    expect(reasonOf(`#v=1&traj=${'x'.repeat(1025)}`)).toContain('traj');
  });

  it('describe the current view: the trajectory by file name and id, the step and tokens only with it', () => {
    const { trajectories } = loadedFile(3, 'runs.jsonl', 2);
    const selected = trajectories['3:1'];
    const link = viewLinkOf({ selected, step: 1, tokens: { start: 0, end: 2 }, tab: 'trajectory', analysis: DEFAULT_ANALYSIS_SETTINGS });
    expect(link).toMatchObject({ file: 'runs.jsonl', trajectory: 'runs.jsonl-1', step: 1, tokens: { start: 0, end: 2 }, tab: 'trajectory' });
    expect(link.settings).toEqual({ tokenAggregation: 'mean', stepAggregation: 'mean', mode: 'difference', method: 'progress', beta: 1, k: 1, unscored: 'skip', grouping: 'file-task', predictor: 'min_cumulative', colourRangeMode: 'fitted', colourRange: 2, contextPolicy: 'fit', contextTokens: 16384 });
    const none = viewLinkOf({ selected: null, step: 1, tokens: { start: 0, end: 2 }, tab: 'dataset', analysis: DEFAULT_ANALYSIS_SETTINGS });
    expect(none.trajectory).toBeUndefined();
    expect(none.step).toBeUndefined();
    expect(none.tokens).toBeUndefined();
    expect(decodeViewLink(encodeViewLink(link))).toEqual({ kind: 'view', link });
  });
});

describe('finding the trajectory a link names', () => {
  // Two files hold a trajectory "b.jsonl-0"-like id; ids are unique only within a file.
  const one = loadedFile(1, 'a.jsonl', 2);
  const two = loadedFile(2, 'b.jsonl', 2);
  two.trajectories['2:0'] = { ...two.trajectories['2:0'], trajectory: { ...two.trajectories['2:0'].trajectory, id: 'a.jsonl-0' } };
  const trajectories = { ...one.trajectories, ...two.trajectories };

  it('matches file name and id, whatever order the files were opened in', () => {
    expect(findLinkedTrajectory(['1:0', '1:1', '2:0', '2:1'], trajectories, 'b.jsonl', 'a.jsonl-0')).toBe('2:0');
    expect(findLinkedTrajectory(['2:0', '2:1', '1:0', '1:1'], trajectories, 'a.jsonl', 'a.jsonl-0')).toBe('1:0');
  });

  it('falls back to the id alone when it is unique (a renamed file, a bundle), and gives up when it is not', () => {
    expect(findLinkedTrajectory(['1:0', '1:1', '2:0', '2:1'], trajectories, 'renamed.jsonl', 'a.jsonl-1')).toBe('1:1');
    expect(findLinkedTrajectory(['1:0', '1:1', '2:0', '2:1'], trajectories, 'renamed.jsonl', 'a.jsonl-0')).toBeNull();
    expect(findLinkedTrajectory(['1:0', '1:1'], trajectories, undefined, 'a.jsonl-1')).toBe('1:1');
    expect(findLinkedTrajectory(['1:0', '1:1'], trajectories, 'a.jsonl', 'missing')).toBeNull();
  });

  it('tells files with the same name apart by their path; a link naming only the name finds the one it can', () => {
    // Who&When: Algorithm-Generated/7.json and Hand-Crafted/7.json, each with a trajectory of the same id.
    const same = (id: number, path: string) => {
      const f = loadedFile(id, path, 1);
      f.trajectories[`${id}:0`] = { ...f.trajectories[`${id}:0`], trajectory: { ...f.trajectories[`${id}:0`].trajectory, id: 'q-7' } };
      return f.trajectories;
    };
    const both = { ...same(1, 'Who&When/Algorithm-Generated/7.json'), ...same(2, 'Who&When/Hand-Crafted/7.json'), ...same(3, 'other.json') };
    const order = ['1:0', '2:0', '3:0'];
    expect(findLinkedTrajectory(order, both, 'Who&When/Hand-Crafted/7.json', 'q-7')).toBe('2:0');
    expect(findLinkedTrajectory(order, both, 'Who&When/Algorithm-Generated/7.json', 'q-7')).toBe('1:0');
    // The link's path ends the file's, or the file's ends the link's: that one file.
    expect(findLinkedTrajectory(order, both, 'Hand-Crafted/7.json', 'q-7')).toBe('2:0');
    expect(findLinkedTrajectory(['2:0', '3:0'], both, 'data/Who&When/Hand-Crafted/7.json', 'q-7')).toBe('2:0');
    // A name both files share (a link from before paths were kept) is ambiguous: nothing.
    expect(findLinkedTrajectory(order, both, '7.json', 'q-7')).toBeNull();
    // A path that merely ends in the same letters is not the same path.
    expect(findLinkedTrajectory(['2:0', '3:0'], both, 'd-Crafted/7.json', 'q-7')).toBe(null);
  });

  it('a view link keeps the whole path of the file', () => {
    const [entry] = Object.values(loadedFile(4, 'Who&When/Hand-Crafted/7.json', 1).trajectories);
    const link = viewLinkOf({ selected: entry, step: null, tokens: null, tab: 'trajectory', analysis: DEFAULT_ANALYSIS_SETTINGS });
    expect(link.file).toBe('Who&When/Hand-Crafted/7.json');
    expect(decodeViewLink(encodeViewLink(link))).toEqual({ kind: 'view', link });
  });
});
