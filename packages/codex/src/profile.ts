import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Environment, ProfileMapping } from '@baton/core';

/** Every Baton-managed Codex profile carries this prefix, so it never collides with the user's own. */
export const PROFILE_PREFIX = 'baton-';

/** What `codex --profile` accepts in 0.169: "pass a plain name such as `work`". */
const PROFILE_NAME = /^[A-Za-z0-9_-]+$/;

/** `worker` → `baton-worker`. */
export function nativeProfileName(profile: string): string {
  return `${PROFILE_PREFIX}${profile}`;
}

/** Says why Codex would refuse this native profile name, or `null` when it accepts it. */
export function profileNameProblem(nativeName: string): string | null {
  return PROFILE_NAME.test(nativeName)
    ? null
    : `"${nativeName}" is not a valid Codex profile name (letters, digits, "-" and "_" only)`;
}

/** `$CODEX_HOME`, defaulting to `~/.codex` as Codex does. */
export function codexHome(env: Environment): string {
  const configured = env.CODEX_HOME;
  if (configured !== undefined && configured !== '') return configured;
  return join(env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir(), '.codex');
}

/** Codex ≥ 0.134 reads `--profile NAME` from `$CODEX_HOME/NAME.config.toml`, top-level keys. */
export function profileFilePath(profile: string, env: Environment): string {
  return join(codexHome(env), `${nativeProfileName(profile)}.config.toml`);
}

export const codexProfileMapping: ProfileMapping = {
  nativeName: nativeProfileName,
  describe(profile, env) {
    return `${profileFilePath(profile, env)} (selected with \`codex exec --profile ${nativeProfileName(profile)}\`)`;
  },
};

/** A line of `config.toml` that current Codex refuses (or that breaks a `--profile` run). */
export interface LegacyProfileEntry {
  /** 1-based line number. */
  readonly line: number;
  readonly text: string;
  /** `selector`: a top-level `profile = …`; `table`: `[profiles.<name>]` or a key under it. */
  readonly reason: 'selector' | 'table';
}

type OpenString = '"""' | "'''" | null;

const TABLE_HEADER = /^\s*\[\[?\s*([^\]]*?)\s*\]\]?\s*(?:#.*)?$/;
const ASSIGNMENT = /^\s*([^=#]+?)\s*=(.*)$/;

/**
 * Finds what makes Codex ≥ 0.134 refuse `config.toml`: a top-level `profile = …` selector
 * (refused on every run, with or without `--profile`), and — when `nativeName` is given — a
 * `[profiles.<nativeName>]` table, sub-table or dotted key (refused with `--profile
 * <nativeName>`). Tables for other profile names are tolerated by Codex and not reported.
 *
 * A line scan, not a TOML parse: it must read a file Codex itself may refuse, and it reports
 * line numbers. Multi-line strings, arrays and inline tables are skipped so their contents
 * never count as keys.
 */
export function findLegacyProfileEntries(
  configText: string,
  nativeName: string | null,
): LegacyProfileEntry[] {
  const found: LegacyProfileEntry[] = [];
  const lines = configText.split(/\r?\n/);
  let table: string[] = [];
  // Inside a value that spans lines: a multi-line string, or an array / inline table left open.
  let openString: OpenString = null;
  let depth = 0;
  for (const [index, text] of lines.entries()) {
    if (openString !== null || depth > 0) {
      ({ openString, depth } = scanValue(text, openString, depth));
      continue;
    }
    const header = TABLE_HEADER.exec(text);
    if (header) {
      table = splitKey(header[1]!);
      if (nativeName !== null && isProfileKey(table, nativeName)) {
        found.push({ line: index + 1, text: text.trim(), reason: 'table' });
      }
      continue;
    }
    const assignment = ASSIGNMENT.exec(text);
    if (assignment) {
      const ownKey = splitKey(assignment[1]!);
      const key = [...table, ...ownKey];
      if (table.length === 0 && ownKey.length === 1 && ownKey[0] === 'profile') {
        found.push({ line: index + 1, text: text.trim(), reason: 'selector' });
      } else if (
        nativeName !== null &&
        isProfileKey(key, nativeName) &&
        !isProfileKey(table, nativeName)
      ) {
        // A dotted key that creates the table; keys under a reported header are not repeated.
        found.push({ line: index + 1, text: text.trim(), reason: 'table' });
      }
      ({ openString, depth } = scanValue(assignment[2]!, null, 0));
    }
  }
  return found;
}

function isProfileKey(key: readonly string[], nativeName: string): boolean {
  return key.length >= 2 && key[0] === 'profiles' && key[1] === nativeName;
}

/** Splits a TOML key (`profiles."baton-worker".model`) into its parts, unquoted. */
function splitKey(key: string): string[] {
  const parts: string[] = [];
  const pattern = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/y;
  while (pattern.lastIndex < key.length) {
    const match = pattern.exec(key);
    if (match === null) break;
    parts.push(match[1] ?? match[2] ?? match[3] ?? '');
  }
  return parts;
}

/**
 * Follows one line of a value: which multi-line string is still open at its end, and how
 * deep in arrays / inline tables it ends. Quoted text and comments never count.
 */
function scanValue(
  text: string,
  openString: OpenString,
  depth: number,
): { openString: OpenString; depth: number } {
  let position = 0;
  while (position < text.length) {
    if (openString !== null) {
      const end = text.indexOf(openString, position);
      if (end === -1) return { openString, depth };
      position = end + 3;
      openString = null;
      continue;
    }
    const character = text[position]!;
    if (text.startsWith('"""', position) || text.startsWith("'''", position)) {
      openString = text.slice(position, position + 3) as OpenString;
      position += 3;
    } else if (character === '"') {
      position += 1;
      while (position < text.length && text[position] !== '"')
        position += text[position] === '\\' ? 2 : 1;
      position += 1;
    } else if (character === "'") {
      const end = text.indexOf("'", position + 1);
      position = end === -1 ? text.length : end + 1;
    } else if (character === '#') {
      break;
    } else {
      if (character === '[' || character === '{') depth += 1;
      else if ((character === ']' || character === '}') && depth > 0) depth -= 1;
      position += 1;
    }
  }
  return { openString, depth };
}
