import type { ErrorKind } from './v1/spec.js';
import type { FailureClass } from './v2/spec.js';

/**
 * The failure class a failure of `kind` has when nothing more specific is known: the rule
 * that upgrades version-1 adapters, and the default a decoder starts from before it reads the
 * harness's own words (a usage limit is a `rate-limit` kind that is not retryable).
 */
export function failureClassOf(kind: ErrorKind, retryable: boolean): FailureClass {
  switch (kind) {
    case 'auth':
      return 'auth';
    case 'rate-limit':
      return retryable ? 'rate_limited' : 'quota_exhausted';
    case 'network':
    case 'server':
      return 'transient';
    case 'timeout':
      return 'timeout';
    case 'model':
    case 'permission':
      return 'task';
    case 'unknown':
      // An unexplained failure worth retrying is a crash before any output: an outage, not the work.
      return retryable ? 'transient' : 'task';
  }
}
