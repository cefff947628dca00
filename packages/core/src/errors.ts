const marker = Symbol.for('baton.error');

/** Stable error codes: scripts match on these, so a code never changes meaning. */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'CONFIG_SYNTAX',
  'CONFIG_NOT_FOUND',
  'CONFIG_UNREADABLE',
  'UNKNOWN_STAGE',
  'UNKNOWN_RUNTIME',
  'ADAPTER_NOT_INSTALLED',
  'ADAPTER_INVALID',
  'ADAPTER_VERSION_UNSUPPORTED',
  /** Scale mode needs the `@baton/scale` package, which is not installed. */
  'SCALE_NOT_INSTALLED',
  'USAGE',
  'RUN_NOT_FOUND',
  'RUN_STATE',
  /** Another process has held the journal's write lock for longer than Baton waits. */
  'JOURNAL_LOCKED',
  /** The journal or its folder cannot be created, opened or written (a file in the way, a dangling link, a full disk, no permission). */
  'JOURNAL_UNAVAILABLE',
  /** The journal holds something Baton did not write (a row that is not JSON, a damaged file). */
  'JOURNAL_CORRUPT',
  'RECURSION_LIMIT',
  'RUNTIME_FAILED',
  'NATIVE_CONFIG',
  'FILE_EXISTS',
  /** A `baton test` scenario file cannot be read or is invalid (each problem with its file, key and line). */
  'SCENARIO_INVALID',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface BatonErrorOptions {
  /** Machine-readable context, printed under `error` in `--json` output. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The one error base class. `isInstance` works across duplicate copies of this package
 * (two versions installed side by side), where `instanceof` would not.
 */
export class BatonError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  /** Read by `isInstance` through `in`, which works across package copies. */
  readonly [marker] = true;

  constructor(code: ErrorCode, message: string, options: BatonErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BatonError';
    this.code = code;
    this.details = options.details ?? {};
  }

  static isInstance(value: unknown): value is BatonError {
    return typeof value === 'object' && value !== null && marker in value;
  }

  toJSON(): { code: ErrorCode; message: string } & Record<string, unknown> {
    return { code: this.code, message: this.message, ...this.details };
  }
}
