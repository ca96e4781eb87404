import { type Meter, metrics, type Span, type Tracer, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { dataverkInstruments } from './dataverk-meters.js';
import { dataverkTracer } from './dataverk-tracer.js';
import { observeVaultRequest } from './vault-request-telemetry.js';

/** A tracer that keeps what its spans were told. */
function recordingTracer() {
  const spans: { name: string; attributes: Record<string, unknown>; ended: boolean }[] = [];
  const tracer = {
    startActiveSpan(name: string, options: { attributes?: Record<string, unknown> }, fn: (span: Span) => unknown) {
      const record = { name, attributes: { ...options.attributes }, ended: false };
      spans.push(record);
      const span = {
        setAttributes: (attributes: Record<string, unknown>) => Object.assign(record.attributes, attributes),
        setStatus: () => span,
        end: () => {
          record.ended = true;
        },
      };
      return fn(span as unknown as Span);
    },
  } as unknown as Tracer;
  return { tracer, spans };
}

/** A meter whose instruments keep what they were given. */
function recordingMeter() {
  const records: { name: string; value: number; attributes: Record<string, unknown> }[] = [];
  const instrument = (name: string) => ({
    add: (value: number, attributes: Record<string, unknown>) => records.push({ name, value, attributes }),
    record: (value: number, attributes: Record<string, unknown>) => records.push({ name, value, attributes }),
    addCallback: () => {},
  });
  const meter = {
    createCounter: instrument,
    createHistogram: instrument,
    createObservableGauge: instrument,
  } as unknown as Meter;
  return { meter, records };
}

afterEach(() => {
  trace.disable();
  metrics.disable();
});

describe('dataverkTracer', () => {
  it('is undefined until a tracer provider is registered, then that provider’s tracer', () => {
    expect(dataverkTracer()).toBeUndefined();
    const { tracer } = recordingTracer();
    trace.setGlobalTracerProvider({ getTracer: () => tracer });
    expect(dataverkTracer()).toBe(tracer);
  });

  it('gives a Vault request a span only with a tracer provider; the request runs the same either way', async () => {
    const request = { method: 'GET' as const, path: 'database/creds/app' };
    const send = (countTry: () => void) => {
      countTry();
      countTry();
      return Promise.resolve({ lease_id: 'database/creds/app/x' });
    };
    expect(await observeVaultRequest(request, 'http://vault.test:8200', send)).toEqual({
      lease_id: 'database/creds/app/x',
    });
    const { tracer, spans } = recordingTracer();
    trace.setGlobalTracerProvider({ getTracer: () => tracer });
    expect(await observeVaultRequest(request, 'http://vault.test:8200', send)).toEqual({
      lease_id: 'database/creds/app/x',
    });
    expect(spans).toEqual([
      {
        name: 'vault read-credentials',
        attributes: expect.objectContaining({
          'dataverk.vault.path': 'database/creds/app',
          'server.address': 'vault.test',
          'http.response.status_code': 200,
          'dataverk.vault.retry_count': 1,
        }),
        ended: true,
      },
    ]);
  });

  it('has no instruments without a meter provider; with one, a request without a span is measured', async () => {
    expect(dataverkInstruments()).toBeUndefined();
    const { meter, records } = recordingMeter();
    metrics.setGlobalMeterProvider({ getMeter: () => meter });
    expect(dataverkInstruments()).toBeDefined();
    const request = { method: 'POST' as const, path: 'sys/leases/renew' };
    await observeVaultRequest(request, 'http://vault.test:8200', () => Promise.resolve(undefined));
    expect(records).toEqual([
      {
        name: 'dataverk.vault.request.duration',
        value: expect.any(Number),
        attributes: expect.objectContaining({
          'dataverk.vault.operation': 'lease-renew',
          'http.response.status_code': 204,
        }),
      },
    ]);
  });
});
