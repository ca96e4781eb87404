import type { Span } from '@opentelemetry/api';
import { dataverkInstruments } from './dataverk-meters.js';
import { dataverkTracer } from './dataverk-tracer.js';
import { markFailed } from './mark-failed.js';
import { otelApi } from './otel-api.js';
import { ATTR, errorType, serverAttributes, type TelemetryAttributes } from './telemetry-attributes.js';
import { spanPath, vaultOperation } from './vault-operation.js';

/** The parts of a Vault request telemetry may see: never its token or body. */
export interface ObservedVaultRequest {
  readonly method: 'GET' | 'POST';
  /** Relative to `/v1/`. */
  readonly path: string;
}

/**
 * Runs one Vault request (its retries included) inside a client span `vault <operation>`, a child
 * of the caller's active span (none without a tracer provider, where it would record nothing), and
 * records its duration in `dataverk.vault.request.duration`.
 * `run` receives `countTry`, to be called before each try, so that the span carries the retry count.
 * Without `@opentelemetry/api`, or with neither a tracer nor a meter provider registered (nothing
 * would record it), it only calls `run`: a request begun before the application registers its SDK
 * is not measured.
 *
 * @example
 * const body = await observeVaultRequest(request, address, (countTry) =>
 *   withRetries(() => { countTry(); return transport.send(request); }, policy));
 */
export function observeVaultRequest<T>(
  request: ObservedVaultRequest,
  address: string,
  run: (countTry: () => void) => Promise<T>,
): Promise<T> {
  const api = otelApi();
  const tracer = dataverkTracer();
  if (api === undefined || (tracer === undefined && dataverkInstruments() === undefined)) return run(() => {});
  const operation = vaultOperation(request.method, request.path);
  const attributes: TelemetryAttributes = {
    [ATTR.vaultOperation]: operation,
    [ATTR.httpRequestMethod]: request.method,
    ...serverAttributesOf(address),
  };
  if (tracer === undefined) return measured(attributes, run, undefined);
  const path = spanPath(request.path);
  // Object.assign rather than spreads followed by properties, which V8 (Node 20) copies on a slow
  // path (~2 µs each, several per request).
  const spanAttributes = path === undefined ? attributes : Object.assign({}, attributes, { [ATTR.vaultPath]: path });
  const options = { kind: api.SpanKind.CLIENT, attributes: spanAttributes };
  return tracer.startActiveSpan(`vault ${operation}`, options, (span) => measured(attributes, run, span));
}

/** Runs the request, records its duration and, with a span, its outcome and retries there. */
async function measured<T>(
  attributes: TelemetryAttributes,
  run: (countTry: () => void) => Promise<T>,
  span: Span | undefined,
): Promise<T> {
  let tries = 0;
  const started = performance.now();
  const finish = (outcome: TelemetryAttributes) => {
    const all = Object.assign({}, attributes, outcome);
    span?.setAttributes(Object.assign({}, outcome, { [ATTR.vaultRetryCount]: Math.max(0, tries - 1) }));
    dataverkInstruments()?.vaultRequestDuration.record((performance.now() - started) / 1000, all);
  };
  try {
    const body = await run(() => tries++);
    finish({ [ATTR.httpResponseStatusCode]: body === undefined ? 204 : 200, [ATTR.outcome]: 'ok' });
    return body;
  } catch (error) {
    finish(failureAttributes(error));
    if (span !== undefined) markFailed(span, error);
    throw error;
  } finally {
    span?.end();
  }
}

/** The last address's `serverAttributes`: a client asks with one address, and parsing it is a `new URL`. */
let lastServer: { readonly address: string; readonly attributes: TelemetryAttributes } | undefined;

function serverAttributesOf(address: string): TelemetryAttributes {
  if (lastServer?.address !== address) lastServer = { address, attributes: serverAttributes(address) };
  return lastServer.attributes;
}

function failureAttributes(error: unknown): TelemetryAttributes {
  const status = (error as { status?: unknown } | null)?.status;
  return {
    ...(typeof status === 'number' ? { [ATTR.httpResponseStatusCode]: status } : {}),
    [ATTR.errorType]: errorType(error),
    [ATTR.outcome]: 'error',
  };
}
