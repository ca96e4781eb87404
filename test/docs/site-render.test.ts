import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Opens three pages of the built documentation site in headless Chromium (Debian's `chromium`
// package; CI installs it) and checks that each renders as a reader would see it: the page's own
// title, its heading, a code block, and no console error. Without a Chromium binary the test is
// skipped and says why. The site is built when docs/.vitepress/dist is missing
// (`pnpm docs:check` builds it in CI before the tests run).

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'docs', '.vitepress', 'dist');
const PAGES = [
  { path: '/', title: /^dataverk-js/, heading: 'Quick start, against your own database' },
  { path: '/operating/', title: /^Operating: Vault, PostgreSQL and Kubernetes \| dataverk-js$/, heading: 'Operating' },
  { path: '/reference/errors.html', title: /^Errors \| dataverk-js$/, heading: 'Errors' },
];

const chromiumPath = findChromium();
if (chromiumPath === undefined) {
  console.log(
    '[dataverk] docs site render test skipped: no Chromium binary (CHROMIUM_PATH, chromium, chromium-browser, ' +
      'google-chrome); on Debian: apt-get install -y chromium',
  );
}

describe.skipIf(chromiumPath === undefined)('the documentation site in headless Chromium', () => {
  let server: Server;
  let origin: string;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(join(DIST, 'index.html'))) {
      execFileSync(join(ROOT, 'node_modules', '.bin', 'vitepress'), ['build', 'docs'], { cwd: ROOT, stdio: 'pipe' });
    }
    server = createServer((req, res) => {
      const file = staticFile(new URL(req.url ?? '/', 'http://localhost').pathname);
      if (file === undefined) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  for (const { path, title, heading } of PAGES) {
    it(`${path} renders: title, heading, a code block, no console error`, async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('response', (response) => {
        if (response.status() >= 400) errors.push(`${response.url()}: HTTP ${response.status()}`);
      });
      page.on('requestfailed', (request) => errors.push(`${request.url()}: ${request.failure()?.errorText}`));
      try {
        const response = await page.goto(`${origin}${path}`, { waitUntil: 'networkidle' });
        expect(response?.status()).toBe(200);
        expect(await page.title()).toMatch(title);
        const headings = await page.locator('h1, h2').allInnerTexts();
        expect(
          headings.some((text) => text.includes(heading)),
          headings.join(' | '),
        ).toBe(true);
        const code = page.locator('div[class*="language-"] pre code').first();
        await code.waitFor({ state: 'visible', timeout: 5_000 });
        expect(((await code.textContent()) ?? '').trim().length).toBeGreaterThan(0);
        // The client-side app took over the server-rendered HTML (the theme's navigation is live).
        await page.locator('.VPNav').waitFor({ state: 'visible', timeout: 5_000 });
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    });
  }
});

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** The file of the built site for a URL path, as a static host serves it (`/x/` → `/x/index.html`). */
function staticFile(pathname: string): string | undefined {
  const path = normalize(decodeURIComponent(pathname));
  if (path.includes('..')) return undefined;
  for (const candidate of [join(DIST, path), join(DIST, `${path}.html`), join(DIST, path, 'index.html')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

function findChromium(): string | undefined {
  const given = process.env.CHROMIUM_PATH;
  if (given !== undefined && given !== '') return existsSync(given) ? given : undefined;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (found !== '') return found;
    } catch {
      // not on PATH
    }
  }
  return undefined;
}
