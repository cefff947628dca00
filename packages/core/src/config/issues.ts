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
  /** What to do, when neither the accepted values nor a suggestion say it. */
  readonly hint?: string;
  /** 1-based position, for syntax errors. */
  readonly line?: number;
  readonly column?: number;
  readonly kind: 'syntax' | 'schema' | 'runtime' | 'adapter-not-installed' | 'unreadable';
}

/** How many problems are kept and shown; the rest are only counted. */
export const MAX_REPORTED_ISSUES = 50;

/**
 * The problems found while loading. Every one is counted, so the user learns how many there
 * are, but only the first MAX_REPORTED_ISSUES are kept: a file with 40,000 unknown keys must
 * not cost 40,000 did-you-mean searches, nor print them.
 */
export class IssueCollector {
  private readonly kept: ConfigIssue[] = [];
  private total = 0;
  private readonly limit: number;

  constructor(limit = MAX_REPORTED_ISSUES) {
    this.limit = limit;
  }

  add(issue: ConfigIssue): void {
    this.addLazily(1, () => issue);
  }

  /** Counts `count` problems, building only the ones that will be kept. */
  addLazily(count: number, build: (index: number) => ConfigIssue): void {
    const room = Math.min(count, this.limit - this.kept.length);
    for (let index = 0; index < room; index++) this.kept.push(build(index));
    this.total += count;
  }

  /** Whether a kept problem from `source` is about exactly `path`. */
  hasKept(source: string, path: string): boolean {
    return this.kept.some((issue) => issue.source === source && issue.path === path);
  }

  get count(): number {
    return this.total;
  }

  get issues(): readonly ConfigIssue[] {
    return this.kept;
  }

  /** Problems found beyond the ones kept. */
  get omitted(): number {
    return this.total - this.kept.length;
  }
}

const MAX_ACCEPTED_SHOWN = 12;
// A value or key path is shown only as far as it helps to find it: an unknown table's value
// is the whole table, and a key may be as long as the file.
const MAX_SHOWN_LENGTH = 120;

/** Renders one issue as a single line: `where: key: value — problem. Accepted: … Did you mean …?` */
export function formatIssue(issue: ConfigIssue): string {
  const assignment = assignmentOf(issue);
  const position = issue.line === undefined ? '' : `:${issue.line}:${issue.column ?? 1}`;
  const where = assignment ?? `${issue.source}${position}`;
  const value =
    issue.value === undefined || (assignment !== undefined && issue.path === '')
      ? ''
      : ` = ${shorten(JSON.stringify(issue.value))}`;
  const key = issue.path === '' ? value.trimStart() : `${shorten(issue.path)}${value}`;
  let text = `${[where, key].filter((part) => part !== '').join(': ')}: ${issue.message}`;
  if (issue.accepted && issue.accepted.length > 0) {
    const shown = issue.accepted.slice(0, MAX_ACCEPTED_SHOWN).join(', ');
    const more = issue.accepted.length > MAX_ACCEPTED_SHOWN ? ', …' : '';
    text += `. Accepted: ${shown}${more}`;
  }
  if (issue.suggestion !== undefined) text += `. Did you mean "${issue.suggestion}"?`;
  if (issue.hint !== undefined) text += `. ${issue.hint}`;
  return text;
}

/**
 * A value from the environment or the command line, shown the way it was given:
 * `BATON_STAGE_EXECUTE="codx" (environment)`, `--stage execute=codx (command line)`.
 */
function assignmentOf(issue: ConfigIssue): string | undefined {
  const variable = /^environment \(([^)]+)\)$/.exec(issue.source);
  if (variable) {
    return issue.path === '' && typeof issue.value === 'string'
      ? `${variable[1]}=${shorten(JSON.stringify(issue.value))} (environment)`
      : `${variable[1]} (environment)`;
  }
  const flag = /^command line \((.+)\)$/.exec(issue.source);
  if (flag) {
    const given =
      issue.path === '' && typeof issue.value === 'string' && !flag[1]!.includes(issue.value)
        ? `${flag[1]} ${shorten(JSON.stringify(issue.value))}`
        : flag[1]!;
    return `${given} (command line)`;
  }
  return undefined;
}

function shorten(text: string): string {
  return text.length <= MAX_SHOWN_LENGTH ? text : `${text.slice(0, MAX_SHOWN_LENGTH - 1)}…`;
}

/** Every issue on its own line; `omitted` problems beyond those are counted at the end. */
export function formatIssues(issues: readonly ConfigIssue[], omitted = 0): string {
  const total = issues.length + omitted;
  const heading =
    total === 1
      ? 'Invalid configuration:'
      : omitted > 0
        ? `Invalid configuration (${total.toLocaleString('en')} problems; the first ${issues.length} follow):`
        : `Invalid configuration (${total} problems):`;
  const lines = [heading, ...issues.map((issue) => `  - ${formatIssue(issue)}`)];
  if (omitted > 0) {
    lines.push(
      `  … and ${omitted.toLocaleString('en')} more; fix these and run again to see the rest`,
    );
  }
  return lines.join('\n');
}
