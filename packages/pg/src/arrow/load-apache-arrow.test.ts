import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DataverkError } from '@dataverk/core';
import { describe, expect, it } from 'vitest';
import { arrowLoader } from './load-apache-arrow.js';

const notFound = () => Object.assign(new Error("Cannot find package 'apache-arrow'"), { code: 'ERR_MODULE_NOT_FOUND' });

/** Resolution hook that makes `apache-arrow` missing, as in an install without the optional peer. */
const HIDE_ARROW = `data:text/javascript,${encodeURIComponent(
  `export async function resolve(specifier, context, next) {
     if (specifier === 'apache-arrow') throw Object.assign(new Error("Cannot find package 'apache-arrow'"), { code: 'ERR_MODULE_NOT_FOUND' });
     return next(specifier, context);
   }`,
)}`;

describe('loadApacheArrow', () => {
  it('names the package to install, with DATAVERK_ARROW_MISSING, when apache-arrow is missing', async () => {
    const error = await arrowLoader(() => Promise.reject(notFound()))().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataverkError);
    expect(error).toMatchObject({ code: 'DATAVERK_ARROW_MISSING' });
    expect((error as Error).message).toContain("'apache-arrow'");
  });

  it('does not remember a failure: once installed, the next call loads it', async () => {
    let installed = false;
    const load = arrowLoader(() => (installed ? import('apache-arrow') : Promise.reject(notFound())));
    await expect(load()).rejects.toMatchObject({ code: 'DATAVERK_ARROW_MISSING' });
    installed = true;
    const arrow = await load();
    expect(typeof arrow.makeData).toBe('function');
  });

  it('lets other import failures through unchanged', async () => {
    const broken = new SyntaxError('Unexpected token');
    await expect(arrowLoader(() => Promise.reject(broken))()).rejects.toBe(broken);
  });

  it('@dataverk/pg and @dataverk/pg/arrow import and run without apache-arrow; readSqlArrow then fails with DATAVERK_ARROW_MISSING', () => {
    const index = fileURLToPath(new URL('../index.ts', import.meta.url));
    const arrowEntry = fileURLToPath(new URL('./index.ts', import.meta.url));
    const script = `
      import { register } from 'node:module';
      register(${JSON.stringify(HIDE_ARROW)});
      const pg = await import(${JSON.stringify(index)});
      const { readSqlArrow } = await import(${JSON.stringify(arrowEntry)});
      const provider = { on() { return this; }, off() { return this; } };
      const client = new pg.Client({ provider });
      const error = await readSqlArrow(client, 'x', 'SELECT 1').catch((e) => e);
      await client.close();
      console.log(JSON.stringify({ exports: typeof pg.createPool, code: error.code, missing: error.name === 'DataverkError' }));`;
    const out = execFileSync(
      process.execPath,
      ['--conditions=@dataverk/source', '--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8', cwd: fileURLToPath(new URL('../../', import.meta.url)) },
    );
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({
      exports: 'function',
      code: 'DATAVERK_ARROW_MISSING',
      missing: true,
    });
  });
});
