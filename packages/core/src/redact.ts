/**
 * Keeps secrets out of everything Baton records or prints: the journal, terminal output and
 * error messages. Secrets are: the values of the variables named by `[runtimes.*]
 * api_key_env`, the values of variables whose names say they hold a secret (`*KEY*`,
 * `*TOKEN*`, `*SECRET*`, `*PASSWORD*`, `*CREDENTIAL*`), argument values an adapter marks
 * secret, and values shaped like well-known credentials.
 */
import type { Environment } from './adapter/v1/spec.js';
import { databaseUrlSecrets } from './config/scale.js';
import type { BatonConfig } from './config/types.js';

export const REDACTED = '[REDACTED]';

/** Variable names that hold secrets by convention. */
export const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|AUTH(?!OR)/i;

/**
 * Values of name-matched variables shorter than this are left alone: `MAX_TOKENS=8000` is
 * not a secret, and redacting a three-letter value would mangle every text it occurs in.
 */
const MIN_NAMED_SECRET_LENGTH = 8;
/** Values of variables explicitly declared as keys (`api_key_env`) down to this length. */
const MIN_DECLARED_SECRET_LENGTH = 4;

/** Credential shapes redacted wherever they appear, even when no variable names them. */
const CREDENTIAL_SHAPES: readonly RegExp[] = [
  /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g,
];

const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi;
/** `Authorization: …` (and similar headers) inside one argument. */
const SECRET_HEADER = /((?:proxy-)?authorization|x-api-key|api-key|cookie)(\s*[:=]\s*)(.+)$/i;
/** `name=value` or `name: value` where the name says secret (`-c provider.bearer_token=…`). */
const SECRET_ASSIGNMENT =
  /([A-Za-z0-9_.-]*(?:key|token|secret|password|passwd|credential)[A-Za-z0-9_.-]*)(\s*[=:]\s*)("?)([^"\s,}]+)/gi;
/** A flag whose value is the next argument and is a secret (`--api-key VALUE`). */
const SECRET_FLAG =
  /^--?[A-Za-z0-9-]*(?:key|token|secret|password|passwd|credential|auth)[A-Za-z0-9-]*$/i;

export interface Redactor {
  /** Secret values this redactor removes, longest first. */
  readonly secrets: readonly string[];
  text(value: string): string;
  /** A deep copy of a JSON-like value with every string redacted. */
  value<T>(value: T): T;
  /** An argument vector as it may be recorded: secret args and values replaced. */
  argv(args: readonly string[], secretArgs?: readonly string[]): string[];
  /** A redactor that also removes these values. */
  with(values: Iterable<string>): Redactor;
}

export interface RedactorOptions {
  readonly env: Environment;
  readonly config?: Pick<BatonConfig, 'runtimes'> & Partial<Pick<BatonConfig, 'scale'>>;
  readonly extra?: Iterable<string>;
}

export function createRedactor(options: RedactorOptions): Redactor {
  return buildRedactor(secretValues(options));
}

/** Collects the secret values of an environment and config. */
export function secretValues(options: RedactorOptions): string[] {
  const values = new Set<string>();
  for (const settings of Object.values(options.config?.runtimes ?? {})) {
    if (settings.apiKeyEnv === undefined) continue;
    const value = options.env[settings.apiKeyEnv];
    if (value !== undefined && value.trim().length >= MIN_DECLARED_SECRET_LENGTH) values.add(value);
  }
  for (const [name, value] of Object.entries(options.env)) {
    if (
      value !== undefined &&
      SECRET_NAME.test(name) &&
      value.trim().length >= MIN_NAMED_SECRET_LENGTH
    ) {
      values.add(value);
    }
  }
  // The scale database's password, from the URL in its variable (which is not named like a secret).
  for (const value of databaseUrlSecrets(options.config?.scale, options.env)) {
    if (value.trim().length >= MIN_DECLARED_SECRET_LENGTH) values.add(value);
  }
  for (const value of options.extra ?? []) {
    if (value.trim().length >= MIN_DECLARED_SECRET_LENGTH) values.add(value);
  }
  return [...values];
}

/** Secret values among a command's own environment (`CommandSpec.env`), by name. */
export function secretsOfEnv(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env)
    .filter(
      ([name, value]) =>
        SECRET_NAME.test(name) && value.trim().length >= MIN_DECLARED_SECRET_LENGTH,
    )
    .map(([, value]) => value);
}

function buildRedactor(values: Iterable<string>): Redactor {
  const unique = new Set<string>();
  for (const value of values) {
    if (value === '') continue;
    unique.add(value);
    // The same value as it appears inside a JSON string (quotes or backslashes escaped).
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) unique.add(escaped);
  }
  const secrets = [...unique].sort((a, b) => b.length - a.length);

  const text = (value: string): string => {
    let result = value;
    // `scheme://user:password@host`: the password goes, the rest stays readable.
    if (result.includes('@'))
      result = result.replace(URL_PASSWORD, (_, prefix: string) => `${prefix}${REDACTED}@`);
    for (const secret of secrets) {
      if (result.includes(secret)) result = result.replaceAll(secret, REDACTED);
    }
    for (const shape of CREDENTIAL_SHAPES) {
      shape.lastIndex = 0;
      if (shape.test(result)) {
        shape.lastIndex = 0;
        result = result.replace(shape, (_match, scheme?: string) =>
          typeof scheme === 'string' && /^(Bearer|Basic)$/.test(scheme)
            ? `${scheme} ${REDACTED}`
            : REDACTED,
        );
      }
    }
    return result;
  };

  const deep = (value: unknown): unknown => {
    if (typeof value === 'string') return text(value);
    if (Array.isArray(value)) return value.map(deep);
    if (value !== null && typeof value === 'object') {
      const copy: Record<string, unknown> = {};
      for (const [key, member] of Object.entries(value)) copy[key] = deep(member);
      return copy;
    }
    return value;
  };

  const argv = (args: readonly string[], secretArgs: readonly string[] = []): string[] => {
    const marked = new Set(secretArgs.filter((arg) => arg !== ''));
    const result: string[] = [];
    for (let index = 0; index < args.length; index++) {
      const arg = args[index]!;
      const previous = index > 0 ? args[index - 1]! : '';
      if (marked.has(arg) || (SECRET_FLAG.test(previous) && !arg.startsWith('-'))) {
        result.push(REDACTED);
        continue;
      }
      let redacted = arg;
      const flagWithValue = /^(--?[A-Za-z0-9-]+)=(.*)$/s.exec(redacted);
      if (flagWithValue && SECRET_FLAG.test(flagWithValue[1]!)) {
        redacted = `${flagWithValue[1]}=${REDACTED}`;
      } else {
        redacted = redacted.replace(
          SECRET_HEADER,
          (_, name: string, separator: string) => `${name}${separator}${REDACTED}`,
        );
        redacted = redacted.replace(
          SECRET_ASSIGNMENT,
          (_, name: string, separator: string, quote: string) =>
            `${name}${separator}${quote}${REDACTED}`,
        );
      }
      for (const secret of marked) {
        if (redacted.includes(secret)) redacted = redacted.replaceAll(secret, REDACTED);
      }
      result.push(text(redacted));
    }
    return result;
  };

  return {
    secrets,
    text,
    value: <T>(value: T) =>
      secrets.length === 0 && !mayHoldCredential(value) ? value : (deep(value) as T),
    argv,
    with: (more) => buildRedactor([...secrets, ...more]),
  };
}

/** Cheap pre-check so payloads without any string that could match skip the deep copy. */
function mayHoldCredential(value: unknown): boolean {
  if (typeof value === 'string' && value.includes('://') && value.includes('@')) return true;
  if (typeof value === 'string')
    return CREDENTIAL_SHAPES.some((shape) => {
      shape.lastIndex = 0;
      return shape.test(value);
    });
  if (Array.isArray(value)) return value.some(mayHoldCredential);
  if (value !== null && typeof value === 'object')
    return Object.values(value).some(mayHoldCredential);
  return false;
}
