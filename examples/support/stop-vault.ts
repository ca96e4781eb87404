import type { TestVault } from '@dataverk/testkit';

/** How long the testkit's own stop may take before the server is signalled by pid. */
const FALLBACK_AFTER_MS = 3_000;

/**
 * Stops a Vault the testkit started, also on Deno: there `ChildProcess.kill()` sends nothing once
 * it has sent one signal (the testkit's SIGCONT before SIGTERM), so the server never exits and
 * `vault.stop()` never resolves. `process.kill(pid)` still works: after the testkit's revocations
 * have had their time, the server is stopped that way. On Node and Bun this is `vault.stop()`.
 *
 * @example
 * await stopVault(environment.vault);
 */
export async function stopVault(vault: TestVault): Promise<void> {
  const stopping = vault.stop();
  const pid = vault.process?.pid;
  // Only on Deno: elsewhere a slow stop is still revoking leases, and must be let finish.
  if (process.versions.deno === undefined || pid === undefined || pid === 0) return stopping;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fallback = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      signal(pid, 'SIGTERM');
      resolve();
    }, FALLBACK_AFTER_MS);
  });
  try {
    await Promise.race([stopping, fallback]);
    await stopping;
  } finally {
    clearTimeout(timer);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
