import type { Span } from '@opentelemetry/api';
import type { CredentialEvents } from '../credentials/credential-provider.js';
import {
  addLeaseGaugeSource,
  type DataverkInstruments,
  dataverkInstruments,
  type LeaseGaugeReading,
} from './dataverk-meters.js';
import { dataverkTracer } from './dataverk-tracer.js';
import { markFailed } from './mark-failed.js';
import type { NameSnapshot } from './name-snapshot.js';
import { otelApi } from './otel-api.js';
import { ATTR, databaseAttributes, errorType, type TelemetryAttributes } from './telemetry-attributes.js';

/** The counter of each lease event without extra attributes. */
const LEASE_COUNTERS = {
  issued: (instruments: DataverkInstruments) => instruments.leasesIssued,
  renewed: (instruments: DataverkInstruments) => instruments.leasesRenewed,
  rotated: (instruments: DataverkInstruments) => instruments.leasesRotated,
  expired: (instruments: DataverkInstruments) => instruments.leasesExpired,
  refused: (instruments: DataverkInstruments) => instruments.loginsRefused,
} as const;

/** What {@link ProviderTelemetry} reads from its provider. */
export interface TelemetrySource {
  readonly snapshot: (name: string) => NameSnapshot | undefined;
  readonly snapshots: () => Iterable<NameSnapshot>;
  readonly now: () => number;
}

/** What callers wait on: `acquire` (a pool logging in) or `get` (`getCredentials`). */
export type CredentialWait = 'acquire' | 'get';

/**
 * One provider's metrics and spans: lease counters from its events, the lease gauges from its
 * names' snapshots, and a span and a histogram entry per credential wait. Everything goes through
 * the global OpenTelemetry API at the moment it happens; without `@opentelemetry/api` it does nothing.
 *
 * @example
 * const telemetry = new ProviderTelemetry({ snapshot: (name) => ..., snapshots: () => ..., now: () => clock.now() });
 * const credentials = await telemetry.wait('get', name, () => read(name));
 */
export class ProviderTelemetry {
  readonly #source: TelemetrySource;
  #stopGauges: (() => void) | undefined;

  constructor(source: TelemetrySource) {
    this.#source = source;
  }

  /** Starts reporting this provider's leases in the gauges (at its first name); idempotent. */
  startGauges(): void {
    if (this.#stopGauges !== undefined || otelApi() === undefined) return;
    this.#stopGauges = addLeaseGaugeSource({ leaseGauges: () => this.#gaugeReadings() });
  }

  /** Stops reporting (provider closed). */
  stopGauges(): void {
    this.#stopGauges?.();
    this.#stopGauges = undefined;
  }

  /** Counts a provider event in its counter. */
  recordEvent<E extends keyof CredentialEvents>(event: E, payload: CredentialEvents[E]): void {
    const instruments = dataverkInstruments();
    if (instruments === undefined) return;
    const attributes = this.#attributes(payload.name);
    if (event === 'revoked') {
      const { reason } = payload as CredentialEvents['revoked'];
      // Object.assign: V8 (Node 20) copies a spread followed by properties on a slow path.
      instruments.leasesRevoked.add(1, Object.assign(attributes, { [ATTR.revokeReason]: reason }));
    } else if (event === 'error') {
      const { operation, error } = payload as CredentialEvents['error'];
      instruments.errors.add(
        1,
        Object.assign(attributes, { [ATTR.operation]: operation, [ATTR.errorType]: errorType(error) }),
      );
    } else {
      LEASE_COUNTERS[event as keyof typeof LEASE_COUNTERS](instruments).add(1, attributes);
    }
  }

  /**
   * Runs a credential wait inside a span `dataverk <kind>` (a child of the caller's active span,
   * parent of the Vault requests it causes; none without a tracer provider, where it would record
   * nothing) and records it in `dataverk.credentials.wait.duration`; with neither provider
   * registered, only runs it.
   */
  wait<T>(kind: CredentialWait, name: string, run: () => Promise<T>): Promise<T> {
    const tracer = dataverkTracer();
    if (tracer === undefined && dataverkInstruments() === undefined) return run();
    if (tracer === undefined) return this.#measured(name, run, undefined);
    const spanName = kind === 'acquire' ? 'dataverk acquire' : 'dataverk get-credentials';
    return tracer.startActiveSpan(spanName, { attributes: { [ATTR.name]: name } }, (span) =>
      this.#measured(name, run, span),
    );
  }

  async #measured<T>(name: string, run: () => Promise<T>, span: Span | undefined): Promise<T> {
    const started = performance.now();
    const finish = (outcome: TelemetryAttributes) => {
      const attributes = Object.assign(this.#attributes(name), outcome);
      span?.setAttributes(attributes);
      dataverkInstruments()?.credentialWaitDuration.record((performance.now() - started) / 1000, attributes);
    };
    try {
      const result = await run();
      finish({ [ATTR.outcome]: 'ok' });
      return result;
    } catch (error) {
      finish({ [ATTR.outcome]: 'error', [ATTR.errorType]: errorType(error) });
      if (span !== undefined) markFailed(span, error);
      throw error;
    } finally {
      span?.end();
    }
  }

  /** Name and, once a lease told us, database, host and port. */
  #attributes(name: string): TelemetryAttributes {
    return databaseAttributes(name, this.#source.snapshot(name)?.credentials);
  }

  *#gaugeReadings(): Iterable<LeaseGaugeReading> {
    const now = this.#source.now();
    for (const snapshot of this.#source.snapshots()) {
      const expiresAt = snapshot.credentials?.expiresAt;
      const loginsUntil = snapshot.credentials?.loginsValidUntil;
      const loginBound =
        loginsUntil !== undefined && expiresAt !== undefined && loginsUntil < expiresAt && Number.isFinite(loginsUntil);
      yield {
        loginsTimeLeftS: loginBound ? Math.max(0, loginsUntil - now) / 1000 : undefined,
        attributes: databaseAttributes(snapshot.name, snapshot.credentials),
        timeLeftS:
          expiresAt === undefined || !Number.isFinite(expiresAt) ? undefined : Math.max(0, expiresAt - now) / 1000,
        connections: snapshot.connections,
      };
    }
  }
}
