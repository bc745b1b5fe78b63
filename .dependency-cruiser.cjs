// The layering every folder keeps, checked on every `npm test` (`npm run lint:deps`):
// apps run things, handlers are steps of routes, libs are what both are built from.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'A cycle, type imports included, makes two modules one: merge them, or let one name an interface the other meets.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'libs-use-no-handlers-or-apps',
      comment: 'libs are the ground floor: a handler or an app reaches them, never the other way.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^(handlers|apps)/' },
    },
    {
      name: 'handlers-use-no-apps',
      comment: 'A handler needs only libs: the server gives it its services through interfaces (libs/dispatcher).',
      severity: 'error',
      from: { path: '^handlers/' },
      to: { path: '^apps/' },
    },
    {
      name: 'apps-stand-alone',
      comment: 'One app never imports another: what two apps share is a lib.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'modules-through-their-index',
      comment: "A folder is a module with one entry: import another folder's index.ts, never a file inside it.",
      severity: 'error',
      from: { path: '^(libs|handlers)/([^/]+)/' },
      to: { path: '^(libs|handlers)/[^/]+/.+', pathNot: ['^$1/$2/', '^(libs|handlers)/[^/]+/index\\.ts$'] },
    },
    {
      name: 'modules-by-their-alias',
      comment: "Another module is imported by its alias (#libs/bus, #handlers/log: package.json's imports), never by a relative path.",
      severity: 'error',
      from: { path: '^(libs|handlers)/([^/]+)/' },
      to: { path: '^(libs|handlers)/', pathNot: '^$1/$2/', dependencyTypesNot: ['aliased'] },
    },
    {
      name: 'apps-use-modules-by-their-alias',
      comment: 'An app imports libs and handlers by their alias too.',
      severity: 'error',
      from: { path: '^(apps|bench)/' },
      to: { path: '^(libs|handlers)/', dependencyTypesNot: ['aliased'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Tests may reach inside the module they test.
    exclude: { path: '(^node_modules|\\.test\\.ts$)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
