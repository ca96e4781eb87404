// Builds the documentation site (VitePress, docs/ → docs/.vitepress/dist) and checks what a reader
// would trip over: every link of every built page resolves (a page, an asset, an anchor on that
// page, or a repository file such as examples/knex.ts), no link leaves the repository, the
// README and the package READMEs link only to files that exist, no work-tracking words are
// shipped, and every error code of @dataverk/core's DataverkErrorCode has an entry in the error
// reference. `--no-build` checks the last build. Exits 1 with one line per problem.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const DOCS = join(ROOT, 'docs');
const DIST = join(DOCS, '.vitepress', 'dist');
const problems = [];

if (!process.argv.includes('--no-build')) {
  const started = Date.now();
  execFileSync(join(ROOT, 'node_modules', '.bin', 'vitepress'), ['build', 'docs'], { cwd: ROOT, stdio: 'inherit' });
  console.log(`[docs] site built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
if (!existsSync(join(DIST, 'index.html'))) fail('docs/.vitepress/dist/index.html is missing: the build did not run');

const pages = walk(DIST).filter((file) => file.endsWith('.html'));
const idsOf = new Map();
let checkedLinks = 0;
let repositoryLinks = 0;
for (const page of pages) checkPage(page);

// Shipped Markdown outside the site: relative links must name files of the repository.
const shipped = ['README.md', ...readdirSync(join(ROOT, 'packages')).map((dir) => `packages/${dir}/README.md`)].filter(
  (file) => existsSync(join(ROOT, file)),
);
for (const file of shipped) checkMarkdownLinks(file);

// Work-tracking words have no place in what users read.
const TRACKING = [/\bIssue \d+/, /DESIGN §/, /DESIGN\.md/, /\bthe integrator\b/];
const markdown = [...shipped, ...walk(DOCS).filter((f) => f.endsWith('.md') && !f.includes('/.vitepress/'))].map((f) =>
  f.startsWith('/') ? relative(ROOT, f) : f,
);
for (const file of markdown) {
  readFileSync(join(ROOT, file), 'utf8')
    .split('\n')
    .forEach((line, index) => {
      for (const pattern of TRACKING)
        if (pattern.test(line)) problems.push(`${file}:${index + 1}: work-tracking words (${pattern.source})`);
    });
}

// Every error code has an entry in the error reference.
const errorsSource = readFileSync(join(ROOT, 'packages/core/src/errors.ts'), 'utf8');
const union = errorsSource.slice(errorsSource.indexOf('export type DataverkErrorCode'));
const codes = new Set(
  [...union.slice(0, union.indexOf(';')).matchAll(/'([A-Z0-9_]+)'/g)].map((m) => m[1]).filter(Boolean),
);
for (const reference of errorsSource.matchAll(/^\s*\|\s*([A-Z][A-Za-z]+ErrorCode)\b/gm)) {
  const name = reference[1];
  const declared = errorsSource.slice(errorsSource.indexOf(`export type ${name}`));
  for (const m of declared.slice(0, declared.indexOf(';')).matchAll(/'([A-Z0-9_]+)'/g)) codes.add(m[1]);
}
const errorPage = readFileSync(join(DOCS, 'reference/errors.md'), 'utf8');
for (const code of codes)
  if (!errorPage.includes(`\`${code}\``)) problems.push(`docs/reference/errors.md: no entry for ${code}`);

if (problems.length > 0) {
  for (const problem of problems) console.error(`[docs] ${problem}`);
  fail(`${problems.length} problem(s) in the documentation`);
}
console.log(
  `[docs] ${pages.length} pages, ${checkedLinks} internal links resolve (${repositoryLinks} to repository files), ` +
    `${shipped.length} READMEs, ${codes.size} error codes documented`,
);

function checkPage(page) {
  const html = readFileSync(page, 'utf8');
  const pageUrl = `/${relative(DIST, page)}`;
  // The page's Markdown source, for links to repository files written relative to it.
  const source = join(DOCS, relative(DIST, page).replace(/\.html$/, '.md'));
  for (const match of html.matchAll(/\s(?:href|src)="([^"]+)"/g)) {
    const link = decode(match[1]);
    if (/^(https?:)?\/\//i.test(link)) {
      problems.push(`${pageUrl}: link leaves the repository: ${link}`);
      continue;
    }
    if (/^[a-z]+:/i.test(link)) continue; // mailto:, data:, javascript: (theme internals)
    checkedLinks++;
    const [path, hash] = link.split('#');
    if (path === '') {
      if (hash && !idsIn(page).has(hash)) problems.push(`${pageUrl}: no anchor #${hash} on the page`);
      continue;
    }
    const target = path.startsWith('/') ? join(DIST, path) : resolve(dirname(page), path);
    const found = [target, `${target}.html`, join(target, 'index.html')].find(
      (f) => existsSync(f) && statSync(f).isFile(),
    );
    if (found !== undefined) {
      if (hash && found.endsWith('.html') && !idsIn(found).has(hash))
        problems.push(`${pageUrl}: ${link}: no anchor #${hash} on that page`);
      continue;
    }
    // VitePress writes a link to a Markdown file or an unknown extension as `….html`.
    const inRepository = [path, path.replace(/\.html$/, '.md'), path.replace(/\.html$/, '')]
      .map((candidate) => resolve(dirname(source), candidate))
      .find((candidate) => candidate.startsWith(ROOT) && existsSync(candidate));
    if (!path.startsWith('/') && inRepository !== undefined) {
      repositoryLinks++;
      continue;
    }
    problems.push(`${pageUrl}: dead link ${link}`);
  }
}

function checkMarkdownLinks(file) {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const link = match[1];
    if (/^(https?:)?\/\//i.test(link)) {
      problems.push(`${file}: link leaves the repository: ${link}`);
      continue;
    }
    const path = link.split('#')[0];
    if (path === '') continue;
    const target = resolve(dirname(join(ROOT, file)), path);
    if (!target.startsWith(ROOT) || !existsSync(target)) problems.push(`${file}: dead link ${link}`);
  }
}

function idsIn(page) {
  if (!idsOf.has(page)) {
    const html = readFileSync(page, 'utf8');
    idsOf.set(page, new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => decode(m[1]))));
  }
  return idsOf.get(page);
}

function decode(text) {
  const unescaped = text
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
  try {
    return decodeURIComponent(unescaped);
  } catch {
    return unescaped;
  }
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'cache' ? [] : walk(path);
    return [path];
  });
}

function fail(message) {
  console.error(`[docs] ${message}`);
  process.exit(1);
}
