/**
 * Reading a TOML file that Baton validates, for packages with files of their own (the
 * scenario files of `baton test`): the same bounded, strict-UTF-8 read, nesting guard and
 * phrasing of schema problems as `baton.toml` gets, so every file's errors read alike.
 */
export { guardParsedTree, MAX_NESTING_DEPTH } from './guard.js';
export { type ConfigIssue, formatIssue, formatIssues, IssueCollector } from './issues.js';
export { MAX_CONFIG_FILE_BYTES, readTextFile, type TextFileRead } from './read-file.js';
export { convertZodIssues, formatPath } from './zod-issues.js';
