import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** Runs a child to its end, SIGKILL included, and returns what it printed. */
async function runToEnd(file: string, args: string[], options: Parameters<typeof run>[2]): Promise<{ stdout: string }> {
  try {
    const { stdout } = await run(file, args, options);
    return { stdout: String(stdout) };
  } catch (error) {
    const { stdout, signal } = error as { stdout?: string; signal?: string };
    if (signal !== 'SIGKILL' || stdout === undefined) throw error;
    return { stdout };
  }
}
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
  it.each([
    ['exits', 'process.exit(0)'],
    ['is killed with SIGKILL', "process.kill(process.pid, 'SIGKILL')"],
  ])('is stopped and its directory deleted when the process %s without calling stop()', async (_how, ending) => {
    // A private TMPDIR, so that only this child's data directory can appear in it.
    const scratch = await mkdtemp(join(tmpdir(), 'dataverk-exit-'));
    await chmod(scratch, 0o755);
    try {
      const script = `
        const { startPostgres } = await import(${JSON.stringify(startPostgresModule)});
        const pg = await startPostgres({ backend: 'embedded' });
        const { readdirSync } = await import('node:fs');
        console.log(JSON.stringify({ port: pg.port, dirs: readdirSync(process.env.TMPDIR).filter((d) => d.startsWith('dataverk-pg-')) }));
        ${ending};
      `;
      const { stdout } = await runToEnd(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        env: { ...process.env, TMPDIR: scratch },
        timeout: 60_000,
      });
      const { port, dirs } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { port: number; dirs: string[] };
      expect(dirs).toHaveLength(1); // it did start, in our scratch directory
      // The server stops at once; the watchdog notices our exit within 0.2 s and then deletes.
      const deadline = Date.now() + 15_000;
      let left = dirs;
      while (Date.now() < deadline) {
        left = (await readdir(scratch)).filter((d) => d.startsWith('dataverk-pg-'));
        if (left.length === 0 && !(await portAnswers(port))) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(await portAnswers(port)).toBe(false);
      expect(left).toEqual([]);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
