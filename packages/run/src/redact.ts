/**
 * Redaction lives in core, so that every output — the journal here, the CLI's terminal
 * output and doctor reports — removes secrets the same way.
 */
export {
  createRedactor,
  REDACTED,
  type Redactor,
  type RedactorOptions,
  SECRET_NAME,
  secretsOfEnv,
  secretValues,
} from '@baton/core';
