import { createRequire } from 'node:module';

/** The part of `@opentelemetry/api` dataverk uses; a type-only import, erased at build. */
export type OtelApi = typeof import('@opentelemetry/api');

/** `undefined` until first asked; `null` once we know the package is not installed. */
let loaded: OtelApi | null | undefined;

/**
 * `@opentelemetry/api`, when the application has it installed; otherwise `undefined`, silently.
 *
 * It is an optional peer dependency: loaded on first use (not at import), synchronously, through
 * `require` so that instrumentation needs no `await` on hot paths. The API package keeps its
 * registrations (meter provider, tracer provider, context manager) in a process-wide global, so
 * the copy we load sees an SDK the application registers through its own copy, before or after.
 *
 * @example
 * const api = otelApi();
 * api?.trace.getTracer('@dataverk/core');
 */
export function otelApi(): OtelApi | undefined {
  if (loaded === undefined) loaded = tryLoad();
  return loaded ?? undefined;
}

function tryLoad(): OtelApi | null {
  try {
    return createRequire(import.meta.url)('@opentelemetry/api') as OtelApi;
  } catch {
    // Absent (or unloadable): telemetry is off, and that is not worth a warning.
    return null;
  }
}
