import { defineConfig } from 'vitepress';

// The documentation site: `pnpm docs:dev` serves it, `pnpm docs:build` writes docs/.vitepress/dist.
// Pages stay where code comments and tests already point (docs/packaging.md, docs/integrations/…);
// docs/api.md and docs/reference/options.md are written by scripts/api-report.mjs and
// scripts/options-report.mjs and are pages like any other.
export default defineConfig({
  title: 'dataverk-js',
  description:
    'Query PostgreSQL with short-lived credentials from HashiCorp Vault or OpenBao, without thinking about them.',
  cleanUrls: false,
  lastUpdated: false,
  // A broken link fails the build; scripts/check-docs.mjs checks the built pages again, links to
  // repository files (examples/…) included.
  // Links to repository files outside docs/ (examples/…, bench/results/…) are not pages: VitePress
  // cannot resolve them, scripts/check-docs.mjs checks that each names a file in the repository.
  ignoreDeadLinks: [/^(\.\/)?(\.\.\/)+(examples|bench|test|packages|scripts)\//],
  srcExclude: ['**/README.md'],
  head: [['link', { rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' }]],
  themeConfig: {
    search: { provider: 'local' },
    nav: [
      { text: 'Which guide?', link: '/guide/which' },
      { text: 'Operating', link: '/operating/' },
      { text: 'Errors', link: '/reference/errors' },
      { text: 'API', link: '/api' },
    ],
    sidebar: [
      {
        text: 'Start',
        items: [
          { text: 'Quick start', link: '/' },
          { text: 'Which guide?', link: '/guide/which' },
        ],
      },
      {
        text: 'Data work',
        items: [
          { text: 'readSql from scripts and jobs', link: '/guide/data' },
          { text: 'Short-lived jobs and serverless', link: '/guide/short-lived' },
          { text: 'Notebooks (Deno kernel)', link: '/notebooks' },
          { text: 'Big results and Arrow', link: '/big-results' },
          { text: 'Coming from Python dataverk', link: '/reference/python-dataverk' },
        ],
      },
      {
        text: 'Services',
        items: [
          { text: 'knex, Kysely, node-postgres', link: '/guide/services' },
          { text: 'postgres.js', link: '/integrations/postgres' },
          { text: 'Drizzle', link: '/integrations/drizzle' },
          { text: 'Prisma 7', link: '/integrations/prisma' },
          { text: 'TypeORM', link: '/integrations/typeorm' },
          { text: 'Sequelize 6', link: '/integrations/sequelize' },
          { text: 'MikroORM 6', link: '/integrations/mikro-orm' },
          { text: 'Testing with the testkit', link: '/guide/testing' },
        ],
      },
      {
        text: 'Operating',
        items: [
          { text: 'Vault, PostgreSQL, Kubernetes', link: '/operating/' },
          { text: 'Roles that own objects', link: '/operating/database-roles' },
          { text: 'Vault static roles', link: '/operating/static-roles' },
          { text: 'Credentials from a file', link: '/operating/file-credentials' },
          { text: 'AWS Secrets Manager', link: '/operating/aws-secrets-manager' },
          { text: 'AWS RDS and Aurora IAM', link: '/operating/aws-rds-iam' },
          { text: 'Google Cloud SQL IAM', link: '/operating/google-cloud-sql-iam' },
          { text: 'Fleets: Vault Agent / Proxy', link: '/fleet' },
          { text: 'Vault HA', link: '/ha' },
          { text: 'Metrics, traces, health()', link: '/observability' },
          { text: 'The dataverk command', link: '/guide/cli' },
        ],
      },
      {
        text: 'Reference',
        items: [
          { text: 'Settings and environment', link: '/reference/settings' },
          { text: 'Errors', link: '/reference/errors' },
          { text: 'How rotation works', link: '/reference/rotation' },
          { text: 'Node.js, modules, TypeScript', link: '/reference/compatibility' },
          { text: 'Performance', link: '/reference/performance' },
          { text: 'Packaging and peer versions', link: '/packaging' },
          { text: 'Options', link: '/reference/options' },
          { text: 'Public API', link: '/api' },
          { text: 'Developing dataverk-js', link: '/development' },
        ],
      },
    ],
    outline: [2, 3],
  },
});
