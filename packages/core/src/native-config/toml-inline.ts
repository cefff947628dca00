/**
 * Where the keys of a TOML table live in the text, and in-place edits of inline tables.
 *
 * A table Baton writes into may be a `[table]` header the file has (its region), an inline
 * table the user wrote (`model_providers = {}`, `baton = { name = "x" }`), or not there at
 * all. Inline tables are edited where they are, on their line: a key goes after the last
 * one (`{ a = 1 }` → `{ a = 1, k = "v" }`), an empty one becomes `{ k = "v" }`, and removing
 * a key is the exact inverse, so a setup followed by a revert gives back the same bytes (the
 * spelling of an inline table that was empty, `{}` or `{ }`, is given back from the file's
 * original by the editor).
 */
import { conflictError, type Splice } from './text.js';
import {
  formatTomlKeySegment,
  fullKey,
  keyvals,
  lineOf,
  startsWithPath,
  type TomlModel,
  type TomlRegion,
  tableRegion,
  tableSubject,
} from './toml-model.js';
import type { TomlInlineEntry, TomlKeyvalStatement, TomlValueNode } from './toml-scan.js';
import type { KeyPath } from './values.js';

export type TomlInlineTable = Extract<TomlValueNode, { kind: 'inline-table' }>;

/** What holds an inline table: a `key = { … }` statement, or an entry of an enclosing one. */
export type InlineOwner =
  | { kind: 'statement'; statement: TomlKeyvalStatement }
  | { kind: 'entry'; parent: TomlInlineTable; entry: TomlInlineEntry };

/** Where the keys of one table are written. */
export type TomlContainer =
  /** A `[table]` header's region (or the root region for `[]`). */
  | { kind: 'region'; region: TomlRegion }
  /** An inline table the user wrote. */
  | { kind: 'inline'; node: TomlInlineTable; owner: InlineOwner }
  /** The table is missing inside the inline table `node`, which stands for `table[0..depth)`. */
  | { kind: 'inside-inline'; node: TomlInlineTable; depth: number }
  /** Nothing defines the table (sub-tables may, implicitly). */
  | { kind: 'absent' };

/**
 * Finds where `table`'s keys are. With `strict`, a table defined with dotted keys inside an
 * inline table is an error naming its line; otherwise it counts as absent (removals then
 * report the key as written in another form).
 */
export function locateTable(
  model: TomlModel,
  table: KeyPath,
  file: string | undefined,
  strict: boolean,
): TomlContainer {
  const root = model.regions[0]!;
  if (table.length === 0) return { kind: 'region', region: root };
  for (const statement of keyvals(model)) {
    const key = fullKey(statement);
    if (statement.value.kind !== 'inline-table' || !startsWithPath(table, key)) continue;
    return descend(
      model,
      statement.value,
      { kind: 'statement', statement },
      table,
      key.length,
      file,
      strict,
    );
  }
  const region = tableRegion(model, table);
  return region === undefined ? { kind: 'absent' } : { kind: 'region', region };
}

function descend(
  model: TomlModel,
  start: TomlInlineTable,
  startOwner: InlineOwner,
  table: KeyPath,
  from: number,
  file: string | undefined,
  strict: boolean,
): TomlContainer {
  let node = start;
  let owner = startOwner;
  for (let depth = from; depth < table.length; depth += 1) {
    const named = node.entries.filter((entry) => entry.key[0]!.name === table[depth]);
    const simple = named.find((entry) => entry.key.length === 1);
    if (simple === undefined || simple.value.kind !== 'inline-table') {
      if (named.length === 0) return { kind: 'inside-inline', node, depth };
      if (!strict) return { kind: 'absent' };
      const line = lineOf(model, named[0]!.key[0]!.start);
      throw conflictError(
        'TOML',
        file,
        `${tableSubject(table.slice(0, depth + 1))} is defined with dotted keys at line ${line}; Baton only edits tables written under a header or as \`key = { … }\`. Write it that way and rerun.`,
        { key: table.join('.'), line },
      );
    }
    owner = { kind: 'entry', parent: node, entry: simple };
    node = simple.value;
  }
  return { kind: 'inline', node, owner };
}

/** The entry `key = …` (a plain, undotted key) of an inline table. */
export function inlineEntry(node: TomlInlineTable, key: string): TomlInlineEntry | undefined {
  return node.entries.find((entry) => entry.key.length === 1 && entry.key[0]!.name === key);
}

/** Adds `key = value` (value already formatted, one line) after the inline table's last entry. */
export function insertInlineEntry(node: TomlInlineTable, key: string, valueText: string): Splice {
  const entry = `${formatTomlKeySegment(key)} = ${valueText}`;
  const last = node.entries.at(-1);
  if (last === undefined) return { start: node.start, end: node.end, text: `{ ${entry} }` };
  return { start: last.value.end, end: last.value.end, text: `, ${entry}` };
}

/** Removes one entry: the exact inverse of {@link insertInlineEntry}. */
export function removeInlineEntry(node: TomlInlineTable, entry: TomlInlineEntry): Splice {
  const index = node.entries.indexOf(entry);
  if (node.entries.length === 1) return { start: node.start, end: node.end, text: '{}' };
  if (index > 0) {
    return { start: node.entries[index - 1]!.value.end, end: entry.value.end, text: '' };
  }
  return { start: entry.key[0]!.start, end: node.entries[1]!.key[0]!.start, text: '' };
}
