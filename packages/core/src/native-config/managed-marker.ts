/**
 * The managed-comment marker convention.
 *
 * When Baton adds a whole block to a user's file (a TOML table, a YAML mapping entry whose
 * value is a collection, a YAML sequence item), it puts one comment line right above it:
 *
 *     # managed by baton: [model_providers.baton] — edit outside this block freely
 *
 * The subject names the block (a TOML header, a YAML key path, or a sequence item as
 * `model_list[model_name=baton-worker]`). Baton rewrites the block's values on every
 * `baton setup` and removes the block together with its marker (and the blank line Baton
 * put before it) on removal; everything outside the block is never touched. Keys Baton
 * sets inside blocks the user wrote get no marker: only those keys are Baton's.
 *
 * Files Baton owns whole (agent Markdown files) carry the marker as the first line of their
 * front matter with a different note; a file without it is the user's and is never
 * overwritten. Deleting the marker line is how a user takes such a file over.
 *
 * JSON has no comments, so JSON files carry no marker: Baton's keys there are known by path.
 */
export const MANAGED_MARKER_PREFIX = 'managed by baton: ';

/** Note used for blocks inside a user's file. */
export const BLOCK_NOTE = 'edit outside this block freely';

/** Note used for files Baton owns whole. */
export const FILE_NOTE = 'baton setup rewrites this file; delete this line to keep your own edits';

const SEPARATOR = ' — ';

/** The marker comment line (without indentation or line terminator). */
export function managedMarker(subject: string, note: string = BLOCK_NOTE): string {
  if (/[\r\n]/.test(subject) || subject.includes(SEPARATOR)) {
    throw new TypeError(`A managed-marker subject must be one line without "${SEPARATOR}".`);
  }
  return `# ${MANAGED_MARKER_PREFIX}${subject}${SEPARATOR}${note}`;
}

/** The marker's subject when `line` (indentation allowed) is a marker comment. */
export function parseManagedMarker(line: string): { subject: string; note: string } | undefined {
  const match = /^[ \t]*#[ \t]*managed by baton: (.*?) — (.*?)[ \t]*\r?$/.exec(line);
  if (match === null) return undefined;
  return { subject: match[1]!, note: match[2]! };
}
