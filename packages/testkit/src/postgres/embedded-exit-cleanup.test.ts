import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const startPostgresModule = fileURLToPath(new URL('./start-postgres.ts', import.meta.url));

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('embedded PostgreSQL on process exit', () => {
  it('is stopped and its directory deleted when the process exits without calling stop()', async () => {
    // A private TMPDIR, so that only this child's data directory can appear in it.
    const scratch = await mkdtemp(join(tmpdir(), 'dataverk-exit-'));
    await chmod(scratch, 0o755);
    try {
      const script = `
        const { startPostgres } = await import(${JSON.stringify(startPostgresModule)});
        const pg = await startPostgres({ backend: 'embedded' });
        const { readdirSync } = await import('node:fs');
        console.log(JSON.stringify({ port: pg.port, dirs: readdirSync(process.env.TMPDIR).filter((d) => d.startsWith('dataverk-pg-')) }));
        process.exit(0);
      `;
      const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        env: { ...process.env, TMPDIR: scratch },
        timeout: 60_000,
      });
      const { port, dirs } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { port: number; dirs: string[] };
      expect(dirs).toHaveLength(1); // it did start, in our scratch directory
      await new Promise((resolve) => setTimeout(resolve, 500)); // postgres' immediate shutdown
      expect(await portAnswers(port)).toBe(false);
      expect((await readdir(scratch)).filter((d) => d.startsWith('dataverk-pg-'))).toEqual([]);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
