// Preloaded with `node --require`: makes `@opentelemetry/api` unresolvable, as in an application
// that never installed it, and notes each attempt (and who made it) in $DATAVERK_HIDDEN_LOG.
const Module = require('node:module');
const { appendFileSync } = require('node:fs');

const resolve = Module._resolveFilename;
Module._resolveFilename = function hideOpenTelemetryApi(request, parent, ...rest) {
  if (request === '@opentelemetry/api' || request.startsWith('@opentelemetry/api/')) {
    if (process.env.DATAVERK_HIDDEN_LOG)
      appendFileSync(process.env.DATAVERK_HIDDEN_LOG, `${parent?.filename ?? '?'}\n`);
    const error = new Error(`Cannot find module '${request}'`);
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return resolve.call(this, request, parent, ...rest);
};
