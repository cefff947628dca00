/** One problem found in configuration. Loading reports all of them at once. */
export interface ConfigIssue {
  /** Where the value came from: a file path, `environment (VAR)` or `command line (--flag)`. */
  readonly source: string;
  /** Dotted key path inside that source (`orchestrator.runtime_profile.stages.interview`). */
  readonly path: string;
  /** The offending value, when there is one. */
  readonly value?: unknown;
  /** What is wrong, as a phrase that follows the key path. */
  readonly message: string;
  readonly accepted?: readonly string[];
  readonly suggestion?: string;
  /** 1-based position, for syntax errors. */
  readonly line?: number;
  readonly column?: number;
  readonly kind: 'syntax' | 'schema' | 'runtime' | 'adapter-not-installed' | 'unreadable';
}

const MAX_ACCEPTED_SHOWN = 12;

/** Renders one issue as a single line: `where: key: value — problem. Accepted: … Did you mean …?` */
export function formatIssue(issue: ConfigIssue): string {
  const position = issue.line === undefined ? '' : `:${issue.line}:${issue.column ?? 1}`;
  const where = `${issue.source}${position}`;
  const value = issue.value === undefined ? '' : ` = ${JSON.stringify(issue.value)}`;
  const key = issue.path === '' ? value.trimStart() : `${issue.path}${value}`;
  let text = `${[where, key].filter((part) => part !== '').join(': ')}: ${issue.message}`;
  if (issue.accepted && issue.accepted.length > 0) {
    const shown = issue.accepted.slice(0, MAX_ACCEPTED_SHOWN).join(', ');
    const more = issue.accepted.length > MAX_ACCEPTED_SHOWN ? ', …' : '';
    text += `. Accepted: ${shown}${more}`;
  }
  if (issue.suggestion !== undefined) text += `. Did you mean "${issue.suggestion}"?`;
  return text;
}

export function formatIssues(issues: readonly ConfigIssue[]): string {
  const heading =
    issues.length === 1
      ? 'Invalid configuration:'
      : `Invalid configuration (${issues.length} problems):`;
  return [heading, ...issues.map((issue) => `  - ${formatIssue(issue)}`)].join('\n');
}
