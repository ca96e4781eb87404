/**
 * Revocation when the process ends normally: a short job (an Airflow task, a CLI, a cron job) that
 * simply returns, or is stopped with `SIGTERM`, takes its database users with it instead of leaving
 * them in PostgreSQL until their TTL (the fleet model's "revoke on exit").
 *
 * Rules, chosen so that a process behaves as its author expects:
 * - `beforeExit` (the event loop ran dry: pools ended, nothing left to do): revoke every lease of
 *   the registered providers; the revocations' requests keep the loop alive until Vault answered,
 *   then the process exits with its own exit code. A process that calls `process.exit()` skips
 *   `beforeExit` (Node's rule): close the provider with `{ revoke: true }` before that call.
 * - `SIGTERM`, when no other listener is installed: revoke (for at most
 *   {@link EXIT_REVOCATION_DEADLINE_MS}), then raise `SIGTERM` again with our listener gone, so the
 *   process dies of the signal as it would have without us (status 143 in a shell). A second
 *   `SIGTERM` meanwhile ends it at once.
 * - `SIGTERM` when the process has listeners of its own: they decide; we do nothing then (a
 *   handler that drains and lets the loop run dry reaches `beforeExit`, which revokes).
 * - Listeners are installed while at least one provider is registered, and removed with the last
 *   one; a signal listener does not keep the event loop alive (Node unrefs signal handles).
 */

/** How long `SIGTERM` waits for revocations before the process dies anyway. */
export const EXIT_REVOCATION_DEADLINE_MS = 5_000;

/** What {@link revokeOnExit} closes at exit: a credential provider, or anything closed like one. */
export interface ClosesWithRevocation {
  close(options: { readonly revoke: true }): Promise<void>;
}

const registered = new Set<ClosesWithRevocation>();
let terminating = false;

/**
 * Revokes the leases of `provider` (`close({ revoke: true })`) when the process ends normally: when
 * the event loop runs dry (`beforeExit`), and on `SIGTERM` when the process has no `SIGTERM`
 * listener of its own (it then still dies of the signal, after at most 5 s of revocations). A
 * `process.exit()` call skips both: close the provider first. The default provider (every adapter
 * given no `provider`) does this already, unless `DATAVERK_REVOKE_ON_EXIT=false`; call it for a
 * provider you build. Returns the function that takes `provider` off the list.
 *
 * @example
 * const provider = new VaultCredentialProvider({ vault, resolve: settingsResolver() });
 * revokeOnExit(provider);
 * const db = knex(dataverkConfig('postgres_database', { provider }));
 * await db('sales').count();
 * await db.destroy(); // the loop runs dry: the lease is revoked, then the process exits
 */
export function revokeOnExit(provider: ClosesWithRevocation): () => void {
  if (registered.size === 0) {
    process.on('beforeExit', onBeforeExit);
    process.on('SIGTERM', onSigterm);
  }
  registered.add(provider);
  return () => {
    if (!registered.delete(provider) || registered.size > 0) return;
    uninstall();
  };
}

function uninstall(): void {
  process.off('beforeExit', onBeforeExit);
  process.off('SIGTERM', onSigterm);
}

function revokeAll(): Promise<unknown> {
  const providers = [...registered];
  registered.clear();
  uninstall();
  return Promise.allSettled(providers.map((provider) => provider.close({ revoke: true })));
}

function onBeforeExit(): void {
  void revokeAll();
}

function onSigterm(): void {
  if (terminating) {
    reraise();
    return;
  }
  // The process has its own SIGTERM handling: installing ours must not change what it does.
  if (process.listenerCount('SIGTERM') > 1) return;
  terminating = true;
  let deadline: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    deadline = setTimeout(resolve, EXIT_REVOCATION_DEADLINE_MS);
  });
  void Promise.race([revokeAll(), late]).then(() => {
    clearTimeout(deadline);
    reraise();
  });
}

/** Dies of SIGTERM, as the process would have with no listener of ours. */
function reraise(): void {
  uninstall();
  process.kill(process.pid, 'SIGTERM');
}
