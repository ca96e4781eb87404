import type { Span } from '@opentelemetry/api';
import { otelApi } from './otel-api.js';
import { errorType } from './telemetry-attributes.js';

/**
 * Marks a span failed with the error's stable code only: the message is not recorded (no
 * `recordException`), since the span leaves the process and its content is not ours to vet.
 *
 * @example
 * catch (error) { markFailed(span, error); throw error; }
 */
export function markFailed(span: Span, error: unknown): void {
  const api = otelApi();
  span.setStatus({ code: api?.SpanStatusCode.ERROR ?? 2, message: errorType(error) });
}
