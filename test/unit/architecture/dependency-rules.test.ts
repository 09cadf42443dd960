/**
 * The layer rules in .dependency-cruiser.cjs (npm run lint:deps): the real src/ has no violations, and each rule
 * fires on a planted violation. The planted files live in a temporary folder laid out like the repository
 * (src/core/…, lab/…), outside this checkout, so neither `depcruise src` nor the typecheck sees them.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseSync, types as t } from '@babel/core';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractBabelConfig from 'dependency-cruiser/config-utl/extract-babel-config';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const BABEL_CONFIG = join(ROOT, '.dependency-cruiser.babel.cjs');

async function cruiseWithProjectRules(baseDir: string): Promise<ICruiseResult> {
  const options = await extractDepcruiseOptions(CONFIG);
  const babelConfig = await extractBabelConfig(BABEL_CONFIG);
  const { output } = await cruise(['src'], { ...options, baseDir, validate: true }, {}, { babelConfig });
  if (typeof output === 'string') throw new Error('expected a cruise result, got formatted output');
  return output;
}

/** `rule: from → to`; an npm target shortened to its package (the planted tree reaches node_modules by a symlink). */
const violationsOf = (result: ICruiseResult) =>
  result.summary.violations
    .map((v) => `${v.rule.name}: ${v.from} → ${v.to.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+)\/.*$/, 'npm:$1')}`)
    .sort();

describe('dependency rules on the real src/', () => {
  let result: ICruiseResult;
  beforeAll(async () => {
    result = await cruiseWithProjectRules(ROOT);
  }, 120_000);

  it('has no violations', () => {
    expect(violationsOf(result)).toEqual([]);
  });

  it('reads every TypeScript/TSX file in src/ and sees type-only imports', () => {
    const sources = new Set(result.modules.map((m) => m.source));
    expect(sources).toContain('src/ui/App.tsx');
    expect(sources).toContain('src/core/trajectory/index.ts');
    // `export type { FormatAdapter, … } from './adapter'` is the only link from the index to adapter.ts
    const index = result.modules.find((m) => m.source === 'src/core/trajectory/index.ts');
    expect(index?.dependencies.map((d) => d.resolved)).toContain('src/core/trajectory/adapter.ts');
    expect(result.summary.totalDependenciesCruised).toBeGreaterThan(300);
  });

  it('src/ui imports from src/worker with `import type` only', () => {
    // dependency-cruiser reads .ts through Babel here and cannot tell type-only imports apart, so the config
    // allows ui → worker/device.ts and worker/scoring-protocol.ts by path; this asserts the imports are type-only.
    const notTypeOnly: string[] = [];
    for (const module of result.modules.filter((m) => m.source.startsWith('src/ui/'))) {
      if (!module.dependencies.some((d) => d.resolved.startsWith('src/worker/'))) continue;
      const file = join(ROOT, module.source);
      const ast = parseSync(readFileSync(file, 'utf8'), {
        filename: file,
        babelrc: false,
        configFile: false,
        presets: [['@babel/preset-typescript', {}]],
        parserOpts: { plugins: file.endsWith('.tsx') ? ['jsx'] : [] },
      });
      for (const statement of ast?.program.body ?? []) {
        if (!(t.isImportDeclaration(statement) || t.isExportNamedDeclaration(statement)) || !statement.source) continue;
        const target = resolve(dirname(file), statement.source.value);
        if (!target.startsWith(join(ROOT, 'src/worker'))) continue;
        const typeOnly = t.isImportDeclaration(statement)
          ? statement.importKind === 'type' ||
            (statement.specifiers.length > 0 && statement.specifiers.every((s) => t.isImportSpecifier(s) && s.importKind === 'type'))
          : statement.exportKind === 'type';
        if (!typeOnly) notTypeOnly.push(`${module.source}:${statement.loc?.start.line} ${statement.source.value}`);
      }
    }
    expect(notTypeOnly).toEqual([]);
  });
});

describe('dependency rules on planted violations', () => {
  let dir: string;
  let result: ICruiseResult;

  const plant = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'planted-layers-'));
    copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    copyFileSync(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');

    plant('src/ui/y.ts', 'export const y = 1;\nexport type Y = number;\n');
    plant('src/core/x.ts', "import { y } from '../ui/y';\nexport const x = y;\n");
    plant('src/core/type-reexport.ts', "export type { Y } from '../ui/y';\n");
    plant('src/core/reads-files.ts', "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n");
    plant('src/core/store.ts', "import { create } from 'zustand';\nexport const store = create;\n");
    plant('src/core/uses-lab.ts', "import { helper } from '../../lab/helper';\nexport const h = helper;\n");
    plant('lab/helper.ts', 'export const helper = 1;\n');
    plant('src/core/missing.ts', "import { nothing } from './not-there';\nexport const n = nothing;\n");
    // a cycle, one side type-only
    plant('src/state/a.ts', "import { b } from './b';\nexport const a = () => b;\nexport type A = number;\n");
    plant('src/state/b.ts', "import type { A } from './a';\nexport const b: A = 1;\n");
    plant('src/state/uses-worker.ts', "import { service } from '../worker/scoring-service';\nexport const s = service;\n");
    plant('src/state/uses-client.ts', "import { client } from '../worker/scoring-client';\nexport const c = client;\n");
    plant('src/worker/scoring-service.ts', 'export const service = 1;\n');
    plant('src/worker/scoring-client.ts', 'export const client = 1;\n');
    plant('src/worker/device.ts', "export type ModelDtype = 'fp32';\n");
    plant('src/worker/uses-state.ts', "import { c } from '../state/uses-client';\nexport const w = c;\n");
    plant(
      'src/ui/Panel.tsx',
      "import type { ModelDtype } from '../worker/device';\nimport { service } from '../worker/scoring-service';\n" +
        "export const Panel = (p: { d: ModelDtype }) => <div title={String(service)}>{p.d}</div>;\n",
    );
    plant('src/demo/uses-node.ts', "import { files } from '../node/files';\nexport const d = files;\n");
    plant('src/node/files.ts', 'export const files = 1;\n');
    plant('src/node/uses-demo.ts', "import { demo } from '../demo/ok';\nexport const n = demo;\n");
    plant('src/demo/ok.ts', 'export const demo = 1;\n');
    plant('src/cli/uses-ui.ts', "import { y } from '../ui/y';\nexport const c = y;\n");
    plant('src/cli/uses-dev-dependency.ts', "import { describe } from 'vitest';\nexport const d = describe;\n");

    result = await cruiseWithProjectRules(dir);
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports each planted violation under its rule', () => {
    expect(violationsOf(result)).toEqual(
      [
        'core-imports-no-layer: src/core/x.ts → src/ui/y.ts',
        'core-imports-no-layer: src/core/type-reexport.ts → src/ui/y.ts',
        'core-no-node-builtins: src/core/reads-files.ts → fs',
        'core-no-app-libraries: src/core/store.ts → npm:zustand',
        'product-not-to-tooling: src/core/uses-lab.ts → lab/helper.ts',
        'not-to-unresolvable: src/core/missing.ts → ./not-there',
        // a cycle is reported once, from where the cruise entered it
        'no-circular: src/state/a.ts → src/state/b.ts',
        'state-imports-core-and-worker-clients: src/state/uses-worker.ts → src/worker/scoring-service.ts',
        'worker-imports-core-only: src/worker/uses-state.ts → src/state/uses-client.ts',
        'ui-imports-state-and-core: src/ui/Panel.tsx → src/worker/scoring-service.ts',
        'demo-imports-core-only: src/demo/uses-node.ts → src/node/files.ts',
        'node-imports-core-only: src/node/uses-demo.ts → src/demo/ok.ts',
        'cli-imports-core-node-demo: src/cli/uses-ui.ts → src/ui/y.ts',
        'product-not-to-dev-dependencies: src/cli/uses-dev-dependency.ts → npm:vitest',
      ].sort(),
    );
  });

  it('lets the allowed imports through (state → worker client, ui → worker/device types)', () => {
    const allowed = violationsOf(result).filter((v) => /uses-client\.ts → src\/worker|→ src\/worker\/device\.ts|→ src\/worker\/scoring-client\.ts/.test(v));
    expect(allowed).toEqual([]);
  });

  it('fires every rule of the config at least once', async () => {
    const options = await extractDepcruiseOptions(CONFIG);
    const ruleNames = (options.ruleSet?.forbidden ?? []).map((r) => r.name);
    const fired = new Set(result.summary.violations.map((v) => v.rule.name));
    expect(ruleNames.filter((name) => !fired.has(name ?? ''))).toEqual([]);
  });
});
