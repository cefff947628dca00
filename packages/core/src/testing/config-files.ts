/**
 * Generated user-written TOML and JSON/JSONC config files for native-config writers' setup
 * property tests (YAML: `./yaml-files`), and the helpers those tests share.
 *
 * For adapters' writers and third parties testing theirs. Imported as
 * `@baton/core/testing/config-files`; needs `fast-check`.
 */
import { type ParseError, parse as parseJsonc } from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYamlText } from 'yaml';

/** The value a config file holds, read the way the runtimes read it (byte-order mark ignored). */
export function readConfigValue(format: 'toml' | 'json' | 'jsonc' | 'yaml', text: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  if (format === 'toml') return parseToml(body);
  if (format === 'yaml') return parseYamlText(body) ?? {};
  if (body.trim() === '') return undefined;
  if (format === 'json') return JSON.parse(body);
  const errors: ParseError[] = [];
  const value = parseJsonc(body, errors, { allowTrailingComma: true });
  if (errors.length > 0) throw new SyntaxError(`invalid JSONC at offset ${errors[0]!.offset}`);
  return value;
}
