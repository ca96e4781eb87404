import { dataverkInstruments, INSTRUMENTATION_SCOPE, instrumentationVersion } from './dataverk-meters.js';
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
 * of the caller's active span, and records its duration in `dataverk.vault.request.duration`.
 * `run` receives `countTry`, to be called before each try, so that the span carries the retry count.
 * Without `@opentelemetry/api` it only calls `run`.
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
  if (api === undefined) return run(() => {});
  const operation = vaultOperation(request.method, request.path);
  const attributes: TelemetryAttributes = {
    [ATTR.vaultOperation]: operation,
    [ATTR.httpRequestMethod]: request.method,
    ...serverAttributesOf(address),
  };
  const path = spanPath(request.path);
  const tracer = api.trace.getTracer(INSTRUMENTATION_SCOPE, instrumentationVersion());
  // Object.assign rather than spreads followed by properties, which V8 (Node 20) copies on a slow
  // path (~2 µs each, several per request).
  const spanAttributes = path === undefined ? attributes : Object.assign({}, attributes, { [ATTR.vaultPath]: path });
  const options = { kind: api.SpanKind.CLIENT, attributes: spanAttributes };
  return tracer.startActiveSpan(`vault ${operation}`, options, async (span) => {
    let tries = 0;
    const started = performance.now();
    const finish = (outcome: TelemetryAttributes) => {
      const all = Object.assign({}, attributes, outcome);
      span.setAttributes(Object.assign({}, outcome, { [ATTR.vaultRetryCount]: Math.max(0, tries - 1) }));
      dataverkInstruments()?.vaultRequestDuration.record((performance.now() - started) / 1000, all);
    };
    try {
      const body = await run(() => tries++);
      finish({ [ATTR.httpResponseStatusCode]: body === undefined ? 204 : 200, [ATTR.outcome]: 'ok' });
      return body;
    } catch (error) {
      finish(failureAttributes(error));
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
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
