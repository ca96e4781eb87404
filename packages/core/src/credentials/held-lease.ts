import type { Clock } from '../clock/clock.js';
import { LeaseScheduler } from '../lease/lease-scheduler.js';
import { GRACE_JITTER_FRACTION, GRACE_MIN_FRACTION, type RandomSource } from '../lease/lease-timing.js';
import type { TokenLifetime, VaultClient } from '../vault/vault-client.js';
import type { DatabaseCredentials } from './credential-provider.js';
import { credentialsWith } from './database-credentials.js';
import type { LeaseLedger } from './lease-ledger.js';
import type { ProviderEvents } from './provider-events.js';
import type { RequestGate } from './request-gate.js';

/** The largest grace (rule 1): by then a lease whose renewals fail must be replaced. */
const MAX_GRACE_FRACTION = GRACE_MIN_FRACTION + GRACE_JITTER_FRACTION;

/** The lease a settings name currently serves, and the scheduler that renews and replaces it. */
export interface HeldLease {
  /** With `expiresAt` the effective end: lease or token, whichever ends first. */
  credentials: DatabaseCredentials;
  /** The lease's own end, as Vault last told us. */
  leaseEndsAt: number;
  /** The token it was read with, when the client says. */
  readonly token: TokenLifetime | undefined;
  readonly scheduler: LeaseScheduler;
}

/** What a held lease's schedule needs from its provider. */
export interface HeldLeaseContext {
  readonly name: string;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly vault: () => VaultClient;
  readonly ledger: LeaseLedger;
  readonly events: ProviderEvents;
  /** The name's request gate (rule 7). */
  readonly gate: RequestGate;
  /** Reads the next lease for the name (shared with callers' reads); rejects on failure. */
  readonly replace: (held: HeldLease) => Promise<void>;
}

/**
 * Starts holding `credentials`: a {@link LeaseScheduler} renews the lease on Vault's schedule and
 * replaces it before its effective end. Call `scheduler.granted` once the lease is installed.
 *
 * @example
 * const held = holdLease(credentials, secret.token, context);
 * held.scheduler.granted({ remainingMs: credentials.leaseDuration * 1000, renewable: credentials.renewable });
 */
export function holdLease(
  credentials: DatabaseCredentials,
  token: TokenLifetime | undefined,
  context: HeldLeaseContext,
): HeldLease {
  const { name, clock, gate, events, ledger } = context;
  const held: HeldLease = {
    credentials,
    leaseEndsAt: credentials.expiresAt,
    token,
    scheduler: new LeaseScheduler(clock, context.random, {
      renew: async () => {
        const { leaseId } = held.credentials;
        // Reckoned from the request, as a read is (name-leases.ts): Vault counts the TTL from its own
        // moment of renewal, which is after the request left and before the answer arrives.
        const askedAt = clock.now();
        const lease = await context.vault().renewLease(leaseId, held.scheduler.leaseMs / 1000);
        held.leaseEndsAt = askedAt + lease.leaseDuration * 1000;
        held.credentials = credentialsWith(held.credentials, {
          leaseDuration: lease.leaseDuration,
          expiresAt: held.leaseEndsAt,
        });
        const { expiresAt } = effectiveCredentials(held, ledger);
        ledger.extend(held.credentials);
        gate.succeeded();
        gate.leaseSurvived();
        events.emit('renewed', { name, leaseId, expiresAt, leaseDuration: lease.leaseDuration });
        // A lease renewed past the end of a token the client has moved on from still dies with that
        // token (Vault revokes a token's leases). Plan from that end: less than asked, so the
        // schedule replaces it now, onto the new token (rule 5 at the renewal, since the token's
        // supersession found the lease ending no later than the token and left it alone).
        const token = held.token;
        const untilTokenEnds =
          token !== undefined && !token.current ? token.expiresAt - clock.now() : Number.POSITIVE_INFINITY;
        return { remainingMs: Math.min(lease.leaseDuration * 1000, untilTokenEnds), renewable: lease.renewable };
      },
      replace: () => context.replace(held),
      endsAt: () => effectiveCredentials(held, ledger).expiresAt,
      notBefore: () => gate.openAt,
      // 400 (lease gone, expired, past max TTL) and 403 will not get better by retrying: rotate.
      isFinal: (error) => isStatus(error, 400) || isStatus(error, 403),
      failed: (error, step) => {
        // A failed replacement is a failed read, which the provider has counted and reported.
        if (step !== 'renew') return;
        if (!isStatus(error, 400) && !isStatus(error, 403)) {
          const leaseMs = held.scheduler.leaseMs;
          const replaceBy = effectiveCredentials(held, ledger).expiresAt - MAX_GRACE_FRACTION * leaseMs;
          gate.failed(error, leaseMs, replaceBy);
        }
        events.emit('error', { name, leaseId: held.credentials.leaseId, operation: 'renew', error });
      },
    }),
  };
  ledger.add(effectiveCredentials(held, ledger));
  return held;
}

/**
 * True when the lease's end is its token's, and that token is final but still the client's
 * current one: a new read would be bounded by the same end, so there is nothing to gain from it.
 */
export function boundByCurrentToken(held: HeldLease): boolean {
  const token = held.token;
  return token !== undefined && !token.renewing && token.current && token.expiresAt < held.leaseEndsAt;
}

/**
 * The held credentials with `expiresAt` brought up to date with the lease's and the token's end
 * (rule 5 of `lease-timing.ts`), recording a change in the ledger.
 */
export function effectiveCredentials(held: HeldLease, ledger: LeaseLedger): DatabaseCredentials {
  // A token the client still renews will be kept alive, or replaced (and this lease with it) first.
  const token = held.token;
  const end = token === undefined || token.renewing ? held.leaseEndsAt : Math.min(held.leaseEndsAt, token.expiresAt);
  if (end !== held.credentials.expiresAt) {
    const { leaseDuration } = held.credentials;
    held.credentials = credentialsWith(held.credentials, { leaseDuration, expiresAt: end });
    ledger.extend(held.credentials);
  }
  return held.credentials;
}

function isStatus(error: unknown, status: number): boolean {
  return typeof error === 'object' && error !== null && (error as { status?: unknown }).status === status;
}
