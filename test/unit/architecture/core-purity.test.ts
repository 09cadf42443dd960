/**
 * src/core is pure TypeScript: it runs unchanged in the page, in the workers and in Node, so it touches no DOM,
 * no Node host API and does no I/O of its own. dependency-cruiser (npm run lint:deps) sees imports only; this test
 * looks for the globals: every src/core file is parsed (Babel's TypeScript parser — typescript 7.0 has no stable JS
 * API) and every reference to one of HOST_GLOBALS that the file does not declare itself is a violation, reported
 * as file:line. Type positions count too (`el: HTMLElement`), and so does `globalThis.process`.
 *
 * Known uses that are to move out of core are listed in ALLOWED with a reason; an allowed entry that no longer
 * matches anything fails the test too, so the list shrinks as core is cleaned up.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parseSync, traverse, types as t, type NodePath } from '@babel/core';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const CORE = join(ROOT, 'src/core');

/** DOM / worker / Node host globals, and global I/O. */
const HOST_GLOBALS = new Set([
  // DOM and browser host
  'window', 'document', 'navigator', 'self', 'location', 'history', 'localStorage', 'sessionStorage', 'indexedDB',
  'caches', 'alert', 'confirm', 'prompt', 'matchMedia', 'requestAnimationFrame', 'cancelAnimationFrame',
  'getComputedStyle', 'customElements', 'HTMLElement', 'HTMLCanvasElement', 'HTMLInputElement', 'Element',
  'DocumentFragment', 'MutationObserver', 'ResizeObserver', 'IntersectionObserver', 'DOMParser', 'Image',
  'OffscreenCanvas', 'CanvasRenderingContext2D',
  // workers and messaging
  'Worker', 'SharedWorker', 'postMessage', 'importScripts', 'onmessage', 'MessageChannel', 'BroadcastChannel',
  'ServiceWorker',
  // network and storage I/O
  'fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'FileReader', 'FileSystemHandle',
  'FileSystemDirectoryHandle', 'FileSystemFileHandle', 'showOpenFilePicker', 'showDirectoryPicker',
  // Node host
  'process', 'Buffer', 'require', 'module', '__dirname', '__filename', 'global', 'setImmediate', 'clearImmediate',
]);

interface Violation {
  /** path relative to the repository root, with / separators */
  file: string;
  line: number;
  name: string;
}

interface Allowed {
  file: string;
  name: string;
  reason: string;
}

/**
 * Uses in src/core that are known and are to move to a host layer (src/worker, src/node) when core is
 * restructured. Keyed by file and global (not line, so unrelated edits don't break it).
 */
const ALLOWED: Allowed[] = [];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Names the file declares at any level as types (interfaces, type aliases, enums, classes, type parameters). */
function declaredTypeNames(ast: t.File): Set<string> {
  const names = new Set<string>();
  traverse(ast, {
    TSInterfaceDeclaration: (p) => void names.add(p.node.id.name),
    TSTypeAliasDeclaration: (p) => void names.add(p.node.id.name),
    TSEnumDeclaration: (p) => void names.add(p.node.id.name),
    TSModuleDeclaration: (p) => void (t.isIdentifier(p.node.id) && names.add(p.node.id.name)),
    TSTypeParameter: (p) => void (typeof p.node.name === 'string' && names.add(p.node.name)),
    ClassDeclaration: (p) => void (p.node.id && names.add(p.node.id.name)),
    ImportSpecifier: (p) => void names.add(p.node.local.name),
    ImportDefaultSpecifier: (p) => void names.add(p.node.local.name),
    ImportNamespaceSpecifier: (p) => void names.add(p.node.local.name),
  });
  return names;
}

function isTypePosition(path: NodePath<t.Identifier>): boolean {
  const parent = path.parent;
  return (
    (t.isTSTypeReference(parent) && parent.typeName === path.node) ||
    (t.isTSQualifiedName(parent) && parent.left === path.node) ||
    (t.isTSTypeQuery(parent) && parent.exprName === path.node) ||
    // `interface X extends HTMLElement` / `class X implements …` (node type name differs across Babel versions)
    ((parent.type as string) === 'TSExpressionWithTypeArguments' || (parent.type as string) === 'TSInterfaceHeritage') &&
      (parent as { expression?: unknown }).expression === path.node
  );
}

const SIGNATURES = new Set([
  'TSMethodSignature', 'TSCallSignatureDeclaration', 'TSConstructSignatureDeclaration', 'TSFunctionType',
  'TSConstructorType', 'TSDeclareFunction', 'TSDeclareMethod',
]);

/** Names that only declare something at the type level: signature parameters, property/method/enum member keys. */
function isTypeLevelDeclaration(path: NodePath<t.Identifier>): boolean {
  const parent = path.parent;
  if (SIGNATURES.has(parent.type) && (path.listKey === 'parameters' || path.listKey === 'params')) return true;
  if ((t.isTSPropertySignature(parent) || t.isTSMethodSignature(parent)) && parent.key === path.node && !parent.computed) return true;
  return t.isTSEnumMember(parent) && parent.id === path.node;
}

/** Host globals a source text refers to without declaring them. */
export function findHostGlobals(source: string, file: string): Violation[] {
  const ast = parseSync(source, {
    filename: file,
    babelrc: false,
    configFile: false,
    presets: [['@babel/preset-typescript', {}]],
    parserOpts: { plugins: file.endsWith('.tsx') ? ['jsx'] : [] },
  });
  if (!ast) throw new Error(`could not parse ${file}`);
  const typeNames = declaredTypeNames(ast);
  const found: Violation[] = [];
  const report = (name: string, node: t.Node) => found.push({ file, line: node.loc?.start.line ?? 0, name });

  traverse(ast, {
    Identifier(path) {
      const { name } = path.node;
      if (!HOST_GLOBALS.has(name)) return;
      const parent = path.parent;
      const declares = t.isTSInterfaceDeclaration(parent) || t.isTSTypeAliasDeclaration(parent) || t.isTSEnumDeclaration(parent) || t.isTSModuleDeclaration(parent);
      if (declares && (parent as { id: t.Node }).id === path.node) return;
      if (isTypeLevelDeclaration(path)) return;
      if (isTypePosition(path)) {
        if (!typeNames.has(name) && !path.scope.hasBinding(name, { noGlobals: true })) report(name, path.node);
        return;
      }
      if (path.isReferencedIdentifier() && !path.scope.hasBinding(name, { noGlobals: true })) report(name, path.node);
    },
    // globalThis.process, globalThis['navigator'], globalThis.window?.…
    'MemberExpression|OptionalMemberExpression'(path) {
      if (!path.isMemberExpression() && !path.isOptionalMemberExpression()) return;
      const { object, property, computed } = path.node;
      if (!t.isIdentifier(object, { name: 'globalThis' }) || path.scope.hasBinding('globalThis', { noGlobals: true })) return;
      const name = !computed && t.isIdentifier(property) ? property.name : t.isStringLiteral(property) ? property.value : undefined;
      if (name !== undefined && HOST_GLOBALS.has(name)) report(`globalThis.${name}`, path.node);
    },
  });
  return found;
}

function scanCore(): Violation[] {
  return sourceFiles(CORE).flatMap((path) =>
    findHostGlobals(readFileSync(path, 'utf8'), relative(ROOT, path).split(sep).join('/')),
  );
}

const isAllowed = (v: Violation) => ALLOWED.some((a) => a.file === v.file && (a.name === v.name || `globalThis.${a.name}` === v.name || a.name === `globalThis.${v.name}`));

describe('src/core uses no DOM, worker or Node host globals', () => {
  const violations = scanCore();

  it('finds no host globals outside the explicit allowlist', () => {
    const unexpected = violations.filter((v) => !isAllowed(v)).map((v) => `${v.file}:${v.line} ${v.name}`);
    expect(unexpected, 'src/core must stay host-free: move host access to src/worker or src/node (or pass it in)').toEqual([]);
  });

  it('has no stale allowlist entries', () => {
    const stale = ALLOWED.filter((a) => !violations.some((v) => isAllowed(v) && v.file === a.file && v.name.endsWith(a.name)));
    expect(stale.map((a) => `${a.file} ${a.name}`)).toEqual([]);
  });

  it('sees host globals in real files (src/ui and src/worker, scanned the same way, have some)', () => {
    const browserLayers = [join(ROOT, 'src/ui'), join(ROOT, 'src/worker')].flatMap(sourceFiles);
    const found = browserLayers.flatMap((path) => findHostGlobals(readFileSync(path, 'utf8'), path));
    expect(found.length).toBeGreaterThan(0);
  });

  it('would catch planted uses, with file:line', () => {
    const planted = [
      "import { x } from './x';",
      'export const w = window.innerWidth;',
      'export function read(p: string) { return process.env[p] ?? fetch(p); }',
      'export const nav = globalThis.navigator;',
      'export function el(e: HTMLElement) { return e; }',
      'export function shadowed(document: string, self = 1) { return document + self; }',
      'export const o = { window: 1, location: 2 }; export const q = o.window + o.location;',
      'interface Worker { id: number } export const k = (w: Worker) => w.id;',
      'export type T = typeof localStorage; export interface Panel extends HTMLCanvasElement { x: 1 }',
      'interface R { read(location: string): void; location: string; window(): void; new (self: number): R }',
      'type F = (document: string, ...navigator: string[]) => void; enum E { location } export type G = F | E;',
      'export function declared(process: number): number; export function declared(p: number) { return p; }',
    ].join('\n');
    const found = findHostGlobals(planted, 'src/core/planted.ts').map((v) => `${v.file}:${v.line} ${v.name}`);
    expect(found).toEqual([
      'src/core/planted.ts:2 window',
      'src/core/planted.ts:3 process',
      'src/core/planted.ts:3 fetch',
      'src/core/planted.ts:4 globalThis.navigator',
      'src/core/planted.ts:5 HTMLElement',
      'src/core/planted.ts:9 localStorage',
      'src/core/planted.ts:9 HTMLCanvasElement',
    ]);
  });
});
