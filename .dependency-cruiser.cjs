/**
 * Layer rules for the product code in src/ (checked by `npm run lint:deps`, part of `npm test`).
 *
 *   src/core    pure TypeScript: no DOM, no Node built-ins, no app/UI libraries, no other layer
 *   src/demo    demo environment: core only
 *   src/node    Node host for model files: core only
 *   src/worker  web workers and their clients: core only
 *   src/state   zustand stores: core + the worker's client/protocol modules
 *   src/ui      React: state + core; from src/worker only the type modules device.ts and scoring-protocol.ts
 *   src/cli     command line: core, node, demo
 *
 * Everything in src/: no cycles, nothing from lab/, bench/, tools/, test/, scripts/, no devDependency.
 * test/, bench/, lab/, tools/ may import anything in src/ (no rule).
 * "No DOM globals in core" is beyond what dependency-cruiser sees: test/unit/architecture/core-purity.test.ts.
 *
 * Reading TypeScript: dependency-cruiser 17 (18 needs Node >= 22) cannot use typescript 7.0, which has no classic
 * JS API, and its swc parser does not read TSX. So .ts/.tsx go through Babel (.dependency-cruiser.babel.cjs, which
 * keeps type-only imports as plain imports) and are parsed as JavaScript; @swc/core is installed only because
 * dependency-cruiser scans .ts/.tsx files when typescript (< 7) or swc is present. Type-only imports therefore count
 * like any other import (also for cycles); the "ui → worker is type-only" part is asserted in
 * test/unit/architecture/dependency-rules.test.ts, which also plants a violation of every rule here.
 */

/** Worker modules the page may load: the clients (they start the workers) and the shared types. */
const WORKER_PAGE_API = '^src/worker/(scoring-client|ingest-client|scoring-protocol|device)\\.ts$';
/** Worker modules the UI may name (type-only): protocol types and device/dtype choices. */
const WORKER_TYPES_FOR_UI = '^src/worker/(scoring-protocol|device)\\.ts$';
/** App/DOM libraries core must not depend on. */
const APP_LIBRARIES = '(^|/)node_modules/(react|react-dom|scheduler|zustand|comlink|idb|@tanstack/react-virtual)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles anywhere in src/.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-imports-no-layer',
      severity: 'error',
      comment: 'src/core is the bottom layer: it imports nothing from demo, node, worker, state, ui, cli.',
      from: { path: '^src/core/' },
      to: { path: '^src/(demo|node|worker|state|ui|cli)/' },
    },
    {
      name: 'core-no-node-builtins',
      severity: 'error',
      comment: 'src/core runs in the browser and in Node: no Node built-in modules (node:fs, path, …). Host I/O lives in src/node or src/worker.',
      from: { path: '^src/core/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'core-no-app-libraries',
      severity: 'error',
      comment: 'src/core does not use React, zustand, comlink, idb (DOM/app libraries).',
      from: { path: '^src/core/' },
      to: { path: APP_LIBRARIES },
    },
    {
      name: 'demo-imports-core-only',
      severity: 'error',
      comment: 'src/demo (the demo environment) may import src/core only.',
      from: { path: '^src/demo/' },
      to: { path: '^src/(node|worker|state|ui|cli)/' },
    },
    {
      name: 'node-imports-core-only',
      severity: 'error',
      comment: 'src/node (Node host for model files) may import src/core only.',
      from: { path: '^src/node/' },
      to: { path: '^src/(demo|worker|state|ui|cli)/' },
    },
    {
      name: 'worker-imports-core-only',
      severity: 'error',
      comment: 'src/worker may import src/core only.',
      from: { path: '^src/worker/' },
      to: { path: '^src/(demo|node|state|ui|cli)/' },
    },
    {
      name: 'state-imports-core-and-worker-clients',
      severity: 'error',
      comment: 'src/state may import src/core and, from src/worker, only the clients and protocol/device types.',
      from: { path: '^src/state/' },
      to: { path: '^src/(demo|node|ui|cli|worker)/', pathNot: WORKER_PAGE_API },
    },
    {
      name: 'ui-imports-state-and-core',
      severity: 'error',
      comment: 'src/ui may import src/state and src/core; from src/worker only the types in device.ts and scoring-protocol.ts (type-only).',
      from: { path: '^src/ui/' },
      to: { path: '^src/(demo|node|cli|worker)/', pathNot: WORKER_TYPES_FOR_UI },
    },
    {
      name: 'cli-imports-core-node-demo',
      severity: 'error',
      comment: 'src/cli may import src/core, src/node, src/demo (not the browser layers worker, state, ui).',
      from: { path: '^src/cli/' },
      to: { path: '^src/(worker|state|ui)/' },
    },
    {
      name: 'product-not-to-tooling',
      severity: 'error',
      comment: 'The product (src/) does not import lab/, bench/, tools/, test/ or scripts/.',
      from: { path: '^src/' },
      to: { path: '^(lab|bench|tools|test|scripts)/' },
    },
    {
      name: 'product-not-to-dev-dependencies',
      severity: 'error',
      comment: 'The product (src/) does not import devDependencies.',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import in src/ resolves (an unresolved import would hide from the rules above).',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    babelConfig: { fileName: '.dependency-cruiser.babel.cjs' },
    doNotFollow: { path: 'node_modules' },
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    skipAnalysisNotInRules: true,
  },
};
