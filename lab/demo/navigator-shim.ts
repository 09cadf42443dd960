/**
 * jax-js reads `navigator` when it starts its backends; Node 20 has no global `navigator`. Import
 * this module before `@jax-js/jax` (ES modules evaluate their imports in order).
 */
const scope = globalThis as { navigator?: unknown };
if (scope.navigator === undefined) {
  Object.defineProperty(globalThis, 'navigator', {
    value: { hardwareConcurrency: 1, userAgent: `Node.js/${process.versions.node}`, language: 'en' },
    configurable: true,
    writable: true,
  });
}
export {};
