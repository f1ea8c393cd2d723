// Module rules of DataPunk Audit (ADR 0031), checked in CI by `npm run deps:check`.
// Run on src/, plugins/ and migrations/; test/e2e/dependency-rules proves that each rule bites.

/**
 * The top-level folders of src/, lowest first. A folder imports only folders of lower layers: no
 * two folders can import each other, nor close a longer loop. Folders in one layer are peers that
 * do not import each other. The composition root (the files directly in src/) knows every folder
 * and no folder knows it. A new folder must be placed here before it may import anything.
 */
const LAYERS = [
  ['errors', 'plugin-api', 'access'],
  ['config', 'observability', 'cache'],
  ['database', 'graphql', 'http', 'plugin-host'],
  ['auth'],
  ['audit'],
  ['chain'],
  ['ingest', 'witness'],
  ['compliance', 'rate-limit', 'read-audit', 'retention', 'privacy'],
  ['reports', 'plugin-testing'],
];

/** Specs may reach anything to test it, as may fixture plugins (they stand for broken third parties). */
const NOT_TESTS = '\\.(spec|e2e-spec)\\.ts$|/fixtures?/';

const folders = (list) => `^src/(${list.join('|')})/`;

const layerRules = LAYERS.flatMap((layer, index) => {
  const higher = LAYERS.slice(index).flat();
  return layer.map((folder) => ({
    name: `layer-${folder}`,
    comment: `src/${folder} may import only lower layers of .dependency-cruiser.cjs LAYERS, never ${higher.filter((f) => f !== folder).join(', ')}`,
    severity: 'error',
    from: { path: `^src/${folder}/`, pathNot: NOT_TESTS },
    to: { path: folders(higher.filter((f) => f !== folder)) },
  }));
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'folder-not-in-a-layer',
      comment: 'Every top-level folder of src/ has a place in LAYERS of .dependency-cruiser.cjs; add the new one there',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: `${folders(LAYERS.flat())}|${NOT_TESTS}` },
      to: {},
    },
    {
      name: 'no-import-of-the-composition-root',
      comment: 'The files directly in src/ (app.ts, cli.ts, schema.ts, …) wire every module; no module imports them',
      severity: 'error',
      from: { path: '^src/[^/]+/', pathNot: NOT_TESTS },
      to: { path: '^src/[^/]+\\.ts$' },
    },
    {
      name: 'no-circular',
      comment: 'No file depends on itself through others',
      severity: 'error',
      from: { path: '^(src|plugins)/' },
      to: { circular: true },
    },
    {
      name: 'plugins-only-through-the-contract',
      comment: 'plugins/** import nothing of src/ but the public plugin API (src/plugin-api)',
      severity: 'error',
      from: { path: '^plugins/', pathNot: NOT_TESTS },
      to: { path: '^src/', pathNot: '^src/plugin-api(/|\\.ts$)' },
    },
    {
      name: 'no-plugin-imports-another',
      comment: 'A plugin imports no other plugin: frameworks and formats meet in the report model',
      severity: 'error',
      from: { path: '^plugins/([^/]+)/', pathNot: NOT_TESTS },
      to: { path: '^plugins/[^/]+/', pathNot: '^plugins/$1/' },
    },
    {
      name: 'migrations-import-no-live-code',
      comment: 'A migration is frozen: it imports nothing of src/ or plugins/, so later code cannot change what it does',
      severity: 'error',
      from: { path: '^migrations/' },
      to: { path: '^(src|plugins)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    // Type-only imports are dependencies too: they tie modules together as much as values do.
    tsPreCompilationDeps: true,
  },
};
