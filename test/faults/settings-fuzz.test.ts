import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataverkError, EnvSecretSource, loadSettings, resolveDatabaseSettings } from '@dataverk/core';
import { parseConnectionTarget } from '@dataverk/core/adapter-support';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { report } from './support/fault-load.js';

const dir = mkdtempSync(join(tmpdir(), 'dataverk-fuzz-'));
let files = 0;

/** Writes `text` as a settings file of its own and loads it with only `env` as secret source. */
async function load(text: string, env: Readonly<Record<string, string>> = {}) {
  const path = join(dir, `settings-${files++}.json`);
  writeFileSync(path, text);
  return loadSettings({ path, env: {}, sources: [new EnvSecretSource(env)] });
}

/** Runs `work`; resolves to what escaped it: `undefined` for success, else the error. */
async function escaped(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
    return undefined;
  } catch (error) {
    return error;
  }
}

const PLACEHOLDER_NAME = fc.stringMatching(/^[_a-zA-Z][_a-zA-Z0-9]{0,12}$/);
const OPEN = '$' + '{';
/** Text biased towards what placeholders are made of. */
const TEMPLATE_TEXT = fc
  .array(
    fc.oneof(fc.constantFrom('$', '$$', OPEN, '}', '{', '$1', `${OPEN}}`, '\\', '"'), PLACEHOLDER_NAME, fc.string()),
    {
      maxLength: 12,
    },
  )
  .map((parts) => parts.join(''));
/** Secret values with a marker, so that one showing up in an error is unmistakable. */
const SECRET = fc.string({ minLength: 1, maxLength: 40 }).map((s) => `S3CRET-${s}`);

const counts = { runs: 0, ok: 0, dataverkErrors: 0 };
function tally(error: unknown): void {
  counts.runs++;
  if (error === undefined) counts.ok++;
  else if (error instanceof DataverkError) counts.dataverkErrors++;
}

describe('fuzzing settings files and placeholders (fast-check)', () => {
  afterAll(() => {
    report('settings-fuzz', counts);
    rmSync(dir, { recursive: true, force: true });
  });

  it('any file text: loads, or fails with one of dataverk’s own errors', async () => {
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.json(),
      fc.jsonValue().map((value) => JSON.stringify({ db_connection_strings: value })),
      fc
        .tuple(fc.json(), fc.nat(), fc.string({ maxLength: 3 }))
        .map(
          ([json, at, insert]) => json.slice(0, at % (json.length + 1)) + insert + json.slice(at % (json.length + 1)),
        ),
    );
    await fc.assert(
      fc.asyncProperty(text, async (content) => {
        const error = await escaped(() => load(content));
        tally(error);
        expect(error === undefined || error instanceof DataverkError).toBe(true);
      }),
      { numRuns: 300, interruptAfterTimeLimit: 20_000 },
    );
  });

  it('any placeholder text: substituted, or a placeholder error that shows no secret value', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(PLACEHOLDER_NAME, SECRET, { maxKeys: 4 }),
        fc.array(TEMPLATE_TEXT, { minLength: 1, maxLength: 4 }),
        async (secrets, templates) => {
          const settings = { db_connection_strings: Object.fromEntries(templates.map((t, i) => [`db${i}`, t])) };
          const error = await escaped(() => load(JSON.stringify(settings), secrets));
          tally(error);
          expect(error === undefined || error instanceof DataverkError).toBe(true);
          if (error instanceof Error) {
            for (const value of Object.values(secrets)) {
              expect(`${error.message}\n${error.stack ?? ''}`).not.toContain(value);
            }
          }
        },
      ),
      { numRuns: 300, interruptAfterTimeLimit: 20_000 },
    );
  });

  it('a value with quotes, backslashes or newlines arrives exactly, and cannot corrupt the document', async () => {
    await fc.assert(
      fc.asyncProperty(PLACEHOLDER_NAME, fc.string(), async (name, value) => {
        const settings = await load(JSON.stringify({ secret_path: `\${${name}}`, note: '$$' }), { [name]: value });
        counts.runs++;
        counts.ok++;
        expect(settings.secret_path).toBe(value);
        expect(settings.note).toBe('$');
      }),
      { numRuns: 200 },
    );
  });

  it('any connection string and settings shape: resolved, or one of dataverk’s own errors naming no password', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.webUrl(),
          fc
            .tuple(
              fc.constantFrom('postgres', 'postgresql', 'mysql', ''),
              fc.string(),
              SECRET,
              fc.string(),
              fc.string(),
            )
            .map(([scheme, user, password, host, rest]) => `${scheme}://${user}:${password}@${host}${rest}`),
        ),
        fc.jsonValue(),
        (connectionString, vaultPath) => {
          const password = /:(S3CRET-[^@]*)@/.exec(connectionString)?.[1];
          for (const attempt of [
            () => parseConnectionTarget(connectionString, 'db'),
            () =>
              resolveDatabaseSettings(
                { db_connection_strings: { db: connectionString }, db_vault_path: { db: vaultPath } } as never,
                'db',
              ),
          ]) {
            let error: unknown;
            try {
              attempt();
            } catch (caught) {
              error = caught;
            }
            tally(error);
            expect(error === undefined || error instanceof DataverkError).toBe(true);
            if (error instanceof Error && password !== undefined) expect(error.message).not.toContain(password);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
