/**
 * Babel configuration used only by dependency-cruiser (.dependency-cruiser.cjs → options.babelConfig) to read
 * TypeScript/TSX. typescript 7.0 has no JS API dependency-cruiser can use, and its swc parser does not read TSX,
 * so .ts/.tsx are turned into JavaScript here and dependency-cruiser parses that.
 *
 * Stripping types would drop type-only imports (`import type …`, `export type … from`, imports used only as
 * types), and those are dependencies between layers too. The first plugin therefore adds a bare `import '…'` for
 * every module an import/export declaration names, before the TypeScript preset elides anything: every
 * dependency, type-only or not, reaches the dependency graph (as an ordinary import).
 */
function keepEveryImportedModule({ types: t }) {
  return {
    name: 'keep-every-imported-module',
    visitor: {
      Program(program) {
        const sources = new Set();
        for (const statement of program.node.body) {
          if (
            (t.isImportDeclaration(statement) || t.isExportNamedDeclaration(statement) || t.isExportAllDeclaration(statement)) &&
            statement.source
          ) {
            sources.add(statement.source.value);
          }
        }
        program.unshiftContainer(
          'body',
          [...sources].map((source) => t.importDeclaration([], t.stringLiteral(source))),
        );
      },
    },
  };
}

module.exports = {
  babelrc: false,
  configFile: false,
  plugins: [keepEveryImportedModule, ['@babel/plugin-transform-react-jsx', { runtime: 'automatic' }]],
  presets: [['@babel/preset-typescript', { onlyRemoveTypeImports: false }]],
};
