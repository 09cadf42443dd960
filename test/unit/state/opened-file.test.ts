import { describe, expect, it } from 'vitest';
import { byPath, fileOf, isTrajectoryPath, pathOf } from '../../../src/state/opened-file';

describe('opened files', () => {
  it('are known by their relative path, else their name', () => {
    const alone = new File(['x'], '7.json');
    expect(pathOf(alone)).toBe('7.json');
    const picked = new File(['x'], '7.json');
    Object.defineProperty(picked, 'webkitRelativePath', { value: 'Who&When/Hand-Crafted/7.json' });
    expect(pathOf(picked)).toBe('Who&When/Hand-Crafted/7.json');
    const dropped = { file: alone, path: 'Who&When/Algorithm-Generated/7.json' };
    expect(pathOf(dropped)).toBe('Who&When/Algorithm-Generated/7.json');
    expect(fileOf(dropped)).toBe(alone);
    expect(fileOf(picked)).toBe(picked);
  });

  it('of a folder, the trajectory files are read; READMEs, licences and hidden files are not', () => {
    expect(['a/1.json', 'a/b.JSONL', 'a/x.traj', 'a/l.eval', 'a/b.pa-bundle.json.gz', 'a/README.md', 'a/LICENSE', 'a/.DS_Store', 'a/.git/x.json'].filter(isTrajectoryPath)).toEqual([
      'a/1.json',
      'a/b.JSONL',
      'a/x.traj',
      'a/l.eval',
      'a/b.pa-bundle.json.gz',
    ]);
  });

  it('archives are trajectory files too; macOS resource copies in ZIPs are not', () => {
    expect(['a/logs.zip', 'a/logs.tar.gz', 'a/logs.tgz', 'a/logs.tar', 'a/r.ndjson', '__MACOSX/a/._x.json', 'a/__MACOSX/x.json', 'a/notes.txt'].filter(isTrajectoryPath)).toEqual([
      'a/logs.zip',
      'a/logs.tar.gz',
      'a/logs.tgz',
      'a/logs.tar',
      'a/r.ndjson',
    ]);
  });

  it('are opened in path order, numbers as numbers', () => {
    const files = ['w/Hand-Crafted/2.json', 'w/Algorithm-Generated/10.json', 'w/Algorithm-Generated/2.json'].map((path) => ({ file: new File([''], 'x'), path }));
    expect(byPath(files).map((f) => f.path)).toEqual(['w/Algorithm-Generated/2.json', 'w/Algorithm-Generated/10.json', 'w/Hand-Crafted/2.json']);
  });
});
