import type { Tracer } from '@opentelemetry/api';
import { INSTRUMENTATION_SCOPE, instrumentationVersion } from './dataverk-meters.js';
import { otelApi } from './otel-api.js';

/**
 * dataverk's tracer from the tracer provider registered now, or `undefined` without
 * `@opentelemetry/api` or without a registered provider: a span would record nothing there, and an
 * application without a tracing SDK would pay for one (a `ProxyTracer`, a span and an active
 * context) on every Vault request and credential wait. Asked at every span, so that a provider the
 * application registers later is used from then on.
 *
 * @example
 * const tracer = dataverkTracer();
 * if (tracer === undefined) return run();
 * return tracer.startActiveSpan('dataverk acquire', (span) => run().finally(() => span.end()));
 */
export function dataverkTracer(): Tracer | undefined {
  const api = otelApi();
  if (api === undefined) return undefined;
  const provider = api.trace.getTracerProvider();
  // The API's global provider is a proxy; without a delegate (no SDK registered) it has no tracer.
  if (provider instanceof api.ProxyTracerProvider) {
    return provider.getDelegateTracer(INSTRUMENTATION_SCOPE, instrumentationVersion());
  }
  return provider.getTracer(INSTRUMENTATION_SCOPE, instrumentationVersion());
}
