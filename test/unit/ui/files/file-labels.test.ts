import { describe, expect, it } from 'vitest';
import { fileLabels } from '../../../../src/ui/files/file-labels';

describe('file labels', () => {
  it('show the name alone when it is unique', () => {
    expect(fileLabels(['runs.jsonl', 'who_and_when/Hand-Crafted/1.json'])).toEqual(['runs.jsonl', '1.json']);
  });

  it('show the shortest end of the path that tells files with the same name apart', () => {
    expect(fileLabels(['Who&When/Algorithm-Generated/7.json', 'Who&When/Hand-Crafted/7.json', 'Who&When/Hand-Crafted/2.json'])).toEqual([
      'Algorithm-Generated/7.json',
      'Hand-Crafted/7.json',
      '2.json',
    ]);
    expect(fileLabels(['a/x/run/7.json', 'b/x/run/7.json'])).toEqual(['a/x/run/7.json', 'b/x/run/7.json']);
  });

  it('show the whole path when one path is the end of another', () => {
    expect(fileLabels(['7.json', 'Hand-Crafted/7.json'])).toEqual(['7.json', 'Hand-Crafted/7.json']);
  });

  it('number files with the very same path in opening order', () => {
    expect(fileLabels(['7.json', 'a.json', '7.json'])).toEqual(['7.json', 'a.json', '7.json (2)']);
  });
});
