/**
 * The code base's conventions (docs/architecture.md §8), checked so they do not drift: one file
 * naming scheme, one spelling of colour, unit tests that mirror the source paths they test, and
 * no source file over about 400 lines without a reason in its header, and no array spread into a call.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

const rel = (file: string) => relative(ROOT, file).split(sep).join('/');
const sourceFiles = walk(join(ROOT, 'src')).map(rel);
const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const PASCAL = /^[A-Z][A-Za-z0-9]*$/;

describe('conventions', () => {
  it('names modules in kebab-case and React components in PascalCase', () => {
    const misnamed = sourceFiles.filter((file) => {
      const name = file.split('/').pop()!;
      const [base, ...rest] = name.split('.');
      const ext = rest.join('.');
      if (ext === 'worker.ts') return !KEBAB.test(base);
      if (ext === 'tsx') return !PASCAL.test(base) && !KEBAB.test(base);
      if (ext === 'ts' || ext === 'css') return !KEBAB.test(base);
      return false;
    });
    expect(misnamed).toEqual([]);
  });

  it('spells colour one way in identifiers (CSS and DOM names aside)', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles.filter((f) => /\.(ts|tsx)$/.test(f))) {
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .forEach((line, index) => {
          // `color` as a CSS property (`color:`, `borderColor`, `color-scheme`) and ColorBrewer's name are not ours to respell.
          const identifiers = line.match(/\b[A-Za-z_]*Color[A-Za-z_]*\b|\bcolor[A-Z][A-Za-z_]*\b/g) ?? [];
          const own = identifiers.filter((id) => !['borderColor', 'backgroundColor', 'ColorBrewer'].includes(id));
          if (own.length > 0) offenders.push(`${file}:${index + 1}: ${own.join(', ')}`);
        });
    }
    expect(offenders).toEqual([]);
  });

  it('spreads no array into a call (it overflows the stack past ~120k elements): src/core/arrays instead', () => {
    const spreads: string[] = [];
    for (const file of sourceFiles.filter((f) => /\.(ts|tsx)$/.test(f) && !f.startsWith('src/core/arrays/'))) {
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .forEach((line, index) => {
          if (/(Math\.(max|min)|\.push|\.unshift|fromCharCode|fromCodePoint)\((?:[^()[\]{}]*,\s*)?\.\.\.|\.apply\(/.test(line)) spreads.push(`${file}:${index + 1}: ${line.trim()}`);
        });
    }
    expect(spreads).toEqual([]);
  });

  it('keeps unit tests at the source paths they test', () => {
    const testDirs = [...new Set(walk(join(ROOT, 'test/unit')).map((file) => rel(file).replace(/^test\/unit\//, '').split('/').slice(0, -1).join('/')))];
    // architecture checks the whole tree; bench and lab tests mirror those folders at the top.
    const astray = testDirs.filter((dir) => !dir.startsWith('architecture') && !existsSync(join(ROOT, dir.startsWith('lab') || dir.startsWith('bench') ? dir : `src/${dir}`)));
    expect(astray).toEqual([]);
  });

  it('says why in the header of any source file over 400 lines', () => {
    const long = sourceFiles
      .filter((file) => /\.(ts|tsx)$/.test(file))
      .filter((file) => {
        const text = readFileSync(join(ROOT, file), 'utf8');
        const header = text.slice(0, text.indexOf('*/') + 2);
        return text.split('\n').length > 420 && !/Longer than 400 lines/.test(header);
      });
    expect(long).toEqual([]);
  });
});
