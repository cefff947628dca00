import { parse } from 'yaml';
import { assertWellFormed } from './text.js';
import { isPlainObject } from './values.js';

/** A value Baton writes to YAML. */
export type YamlValue =
  | null
  | boolean
  | number
  | string
  | readonly YamlValue[]
  | { readonly [key: string]: YamlValue };

// Words YAML 1.1 readers (PyYAML: Hermes, LiteLLM) take for booleans or null.
const RESERVED = new Set(['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null', '~']);
// Plain scalars Baton writes are only ever in block context, where commas are plain text.
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./@+:, -]*$/;

function isPlainSafe(value: string): boolean {
  return (
    PLAIN.test(value) &&
    !/[: ]$/.test(value) &&
    !value.includes(': ') &&
    !value.includes('  ') &&
    !RESERVED.has(value.toLowerCase()) &&
    parse(value) === value
  );
}

function doubleQuoted(value: string): string {
  let result = '"';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '"') result += '\\"';
    else if (char === '\\') result += '\\\\';
    else if (char === '\n') result += '\\n';
    else if (char === '\t') result += '\\t';
    else if (char === '\r') result += '\\r';
    else if (
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      code === 0x2028 ||
      code === 0x2029 ||
      code === 0xfeff
    ) {
      result += `\\u${code.toString(16).padStart(4, '0')}`;
    } else result += char;
  }
  return `${result}"`;
}

/** A scalar (or an empty collection) as one line of YAML that YAML 1.1 and 1.2 read alike. */
export function formatYamlScalar(value: YamlValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '.nan';
    if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
    return String(value === 0 ? 0 : value);
  }
  if (typeof value === 'string') {
    assertWellFormed(value, 'A YAML value');
    return isPlainSafe(value) ? value : doubleQuoted(value);
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
  } else if (Object.keys(value).length === 0) return '{}';
  throw new TypeError('Only scalars and empty collections fit on one line.');
}

export function formatYamlKey(key: string): string {
  assertWellFormed(key, 'A YAML key');
  return isPlainSafe(key) ? key : doubleQuoted(key);
}

export function isBlockCollection(value: YamlValue): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return isPlainObject(value) && Object.keys(value).length > 0;
}

/** `key: value` as block YAML lines (no terminators), the key at column `indent`. */
export function renderYamlPair(
  key: string,
  value: YamlValue,
  indent: number,
  unit: number,
): string[] {
  const pad = ' '.repeat(indent);
  if (!isBlockCollection(value)) return [`${pad}${formatYamlKey(key)}: ${formatYamlScalar(value)}`];
  return [`${pad}${formatYamlKey(key)}:`, ...renderYamlBlock(value, indent + unit, unit)];
}

/** A non-empty mapping or sequence as block YAML lines at column `indent`. */
export function renderYamlBlock(value: YamlValue, indent: number, unit: number): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => renderYamlItem(item, indent, unit));
  return Object.entries(value as Record<string, YamlValue>).flatMap(([key, item]) =>
    renderYamlPair(key, item, indent, unit),
  );
}

/** One sequence item (`- …`) as block YAML lines, its dash at column `indent`. */
export function renderYamlItem(item: YamlValue, indent: number, unit: number): string[] {
  const pad = ' '.repeat(indent);
  if (!isBlockCollection(item)) return [`${pad}- ${formatYamlScalar(item)}`];
  // The item's content sits two columns right of the dash, whatever the file's unit.
  const lines = renderYamlBlock(item, indent + 2, unit);
  lines[0] = `${pad}- ${lines[0]!.slice(indent + 2)}`;
  return lines;
}
