import { createRequire } from 'node:module';
import type { Counter, Histogram, Meter, MeterProvider, ObservableResult } from '@opentelemetry/api';
import { type OtelApi, otelApi } from './otel-api.js';
import { ATTR, type TelemetryAttributes } from './telemetry-attributes.js';

/** The meter's and the tracer's name (the instrumentation scope). */
export const INSTRUMENTATION_SCOPE = '@dataverk/core';

/** Buckets (seconds) for Vault requests and credential waits: 5 ms to 30 s, the request timeout's range. */
const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The instruments dataverk records into, made from one meter provider. */
export interface DataverkInstruments {
  readonly leasesIssued: Counter;
  readonly leasesRenewed: Counter;
  readonly leasesRotated: Counter;
  readonly leasesRevoked: Counter;
  readonly leasesExpired: Counter;
  readonly loginsRefused: Counter;
  readonly errors: Counter;
  readonly vaultRequestDuration: Histogram;
  readonly credentialWaitDuration: Histogram;
}

/** One settings name's lease state, as the gauges report it. */
export interface LeaseGaugeReading {
  readonly attributes: TelemetryAttributes;
  /** Seconds until the current lease's effective end; absent without a lease or for static credentials. */
  readonly timeLeftS: number | undefined;
  /**
   * Seconds until new logins can no longer use the credentials held (an IAM token's time left);
   * absent for leases, whose logins end with them.
   */
  readonly loginsTimeLeftS?: number | undefined;
  readonly connections: { readonly current: number; readonly superseded: number };
}

/** What the observable gauges read when the SDK collects: every live provider registers one. */
export interface LeaseGaugeSource {
  leaseGauges(): Iterable<LeaseGaugeReading>;
}

const gaugeSources = new Set<LeaseGaugeSource>();
/** Instruments per meter provider; `null` for one that hands out the API's no-op meter (no SDK). */
const byMeterProvider = new WeakMap<MeterProvider, DataverkInstruments | null>();
let scopeVersion: string | undefined;

/**
 * The instruments of the meter provider registered *now*. Looked up at every record, so that a
 * provider created before the application registers its SDK still reports once it has; creating
 * them is done once per meter provider. `undefined` when `@opentelemetry/api` is not installed, and
 * while no meter provider is registered (the API's no-op meter would record nothing).
 *
 * @example
 * dataverkInstruments()?.leasesIssued.add(1, attributes);
 */
export function dataverkInstruments(): DataverkInstruments | undefined {
  const api = otelApi();
  if (api === undefined) return undefined;
  const meterProvider = api.metrics.getMeterProvider();
  let instruments = byMeterProvider.get(meterProvider);
  if (instruments === undefined) {
    const meter = meterProvider.getMeter(INSTRUMENTATION_SCOPE, instrumentationVersion());
    instruments = meter === api.createNoopMeter() ? null : createInstruments(api, meter);
    byMeterProvider.set(meterProvider, instruments);
  }
  return instruments ?? undefined;
}

/**
 * Adds a provider's lease state to the gauges until the returned function is called (at close).
 *
 * @example
 * const stop = addLeaseGaugeSource({ leaseGauges: () => readings });
 */
export function addLeaseGaugeSource(source: LeaseGaugeSource): () => void {
  gaugeSources.add(source);
  return () => gaugeSources.delete(source);
}

/** The version reported with the instrumentation scope. */
export function instrumentationVersion(): string {
  scopeVersion ??= readVersion();
  return scopeVersion;
}

function createInstruments(api: OtelApi, meter: Meter): DataverkInstruments {
  const leases = (event: string, description: string) =>
    meter.createCounter(`dataverk.lease.${event}`, { unit: '{lease}', description });
  const duration = (name: string, description: string) =>
    meter.createHistogram(name, {
      unit: 's',
      description,
      valueType: api.ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
  const timeLeft = meter.createObservableGauge('dataverk.lease.time_left', {
    unit: 's',
    description: 'Time until the current lease of a database name ends (lease or Vault token, whichever is first).',
    valueType: api.ValueType.DOUBLE,
  });
  const connections = meter.createObservableGauge('dataverk.lease.connections', {
    unit: '{connection}',
    description: 'Pooled connections holding the current lease, and superseded leases still draining.',
    valueType: api.ValueType.INT,
  });
  const loginsTimeLeft = meter.createObservableGauge('dataverk.logins.time_left', {
    unit: 's',
    description:
      'Time until new logins can no longer use the login-bound credentials held (an IAM token, a static password).',
    valueType: api.ValueType.DOUBLE,
  });
  timeLeft.addCallback((result) => observeTimeLeft(result));
  loginsTimeLeft.addCallback((result) => observeLoginsTimeLeft(result));
  connections.addCallback((result) => observeConnections(result));
  return {
    leasesIssued: leases('issued', 'Leases read from Vault (first reads and rotations).'),
    leasesRenewed: leases('renewed', 'Lease renewals Vault granted.'),
    leasesRotated: leases('rotated', 'Leases replaced by new credentials before they ended.'),
    leasesRevoked: leases('revoked', 'Leases revoked in Vault by the provider.'),
    leasesExpired: leases('expired', 'Leases that reached their end while still tracked.'),
    loginsRefused: meter.createCounter('dataverk.logins.refused', {
      unit: '{login}',
      description: 'Logins PostgreSQL refused (28P01, 28000) that pools reported: rotations not seen coming.',
    }),
    errors: meter.createCounter('dataverk.errors', { unit: '{error}', description: 'Errors, by stable code.' }),
    vaultRequestDuration: duration('dataverk.vault.request.duration', 'Vault requests, retries included.'),
    credentialWaitDuration: duration('dataverk.credentials.wait.duration', 'Time callers waited for credentials.'),
  };
}

function observeTimeLeft(result: ObservableResult): void {
  for (const source of gaugeSources) {
    for (const reading of source.leaseGauges()) {
      if (reading.timeLeftS !== undefined) result.observe(reading.timeLeftS, reading.attributes);
    }
  }
}

function observeLoginsTimeLeft(result: ObservableResult): void {
  for (const source of gaugeSources) {
    for (const reading of source.leaseGauges()) {
      if (reading.loginsTimeLeftS !== undefined) result.observe(reading.loginsTimeLeftS, reading.attributes);
    }
  }
}

function observeConnections(result: ObservableResult): void {
  for (const source of gaugeSources) {
    for (const { attributes, connections } of source.leaseGauges()) {
      result.observe(connections.current, { ...attributes, [ATTR.leaseState]: 'current' });
      result.observe(connections.superseded, { ...attributes, [ATTR.leaseState]: 'superseded' });
    }
  }
}

function readVersion(): string {
  try {
    // src/observability/ and dist/observability/ are both two levels below the package root.
    const manifest = createRequire(import.meta.url)('../../package.json') as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
