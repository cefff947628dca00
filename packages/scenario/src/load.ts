/**
 * Loads a scenario file: bounded read, TOML, structure, then the normalised `Scenario`.
 * Every problem of a file is reported at once, each with the file, the key path and the line
 * it is on, as one `SCENARIO_INVALID` error.
 */
import { dirname, resolve } from 'node:path';
import { BatonError, parseDuration, type Stage } from '@baton/core';
import {
  type ConfigIssue,
  convertZodIssues,
  formatIssue,
  guardParsedTree,
  IssueCollector,
  readTextFile,
} from '@baton/core/toml-files';
import { delay, type ScriptTurn } from '@baton/testkit';
import { parse as parseToml, TomlError } from 'smol-toml';
import { lineOfKey } from './key-lines.js';
import {
  ANSWER_PATTERN,
  type ExpectationFile,
  OPERATORS,
  type Operator,
  type ReplyFile,
  type ScenarioFile,
  scenarioSchema,
} from './schema.js';

/** A human step's answer, in order of the questions. */
export interface ScenarioAnswer {
  readonly decision: 'approve' | 'reject';
  /** With approve, the input for the next steps; with reject, why. */
  readonly text: string;
}

/** What the scripted server answers one request of a stage (optionally of one runtime only). */
export interface ScenarioReply {
  readonly stage: Stage;
  /** Only requests from this runtime; `null`: from any runtime the stage runs on. */
  readonly runtime: string | null;
  readonly turn: ScriptTurn;
}

/** What an expectation looks at. */
export type ExpectationSubject =
  | { readonly kind: 'result'; readonly path: string }
  | { readonly kind: 'file'; readonly file: string }
  | {
      readonly kind: 'event';
      /** An event type, or `*` for every event. */
      readonly type: string;
      readonly where: Readonly<Record<string, unknown>>;
      readonly path: string | null;
      readonly pick: 'all' | 'any' | 'first' | 'last';
    }
  | {
      readonly kind: 'request';
      readonly where: Readonly<Record<string, unknown>>;
      readonly path: string | null;
      readonly pick: 'all' | 'any' | 'first' | 'last';
    };

export interface Expectation {
  /** 0-based position among the file's `[[expect]]` tables. */
  readonly index: number;
  /** Line of its `[[expect]]` header, when found. */
  readonly line: number | null;
  readonly subject: ExpectationSubject;
  readonly operator: Operator;
  readonly expected: unknown;
}

export interface Scenario {
  /** Absolute path of the scenario file. */
  readonly file: string;
  readonly name: string;
  readonly goal: string;
  readonly mission: string;
  readonly answers: readonly ScenarioAnswer[];
  /** A directory copied into the fresh workspace first; `null`: an empty workspace. */
  readonly seed: string | null;
  /** A `baton.toml` to use instead of the project's; `null`: the project's. */
  readonly configFile: string | null;
  readonly timeoutMs: number;
  /** Make the workspace a git repository with the seed committed (as most projects are). */
  readonly git: boolean;
  readonly replies: readonly ScenarioReply[];
  readonly expectations: readonly Expectation[];
}

/** The name every scenario file ends with. */
export const SCENARIO_SUFFIX = '.baton-test.toml';
export const DEFAULT_SCENARIO_TIMEOUT_MS = 10 * 60_000;

/** Loads and checks a scenario file; throws `SCENARIO_INVALID` listing every problem. */
export function loadScenario(path: string): Scenario {
  const file = resolve(path);
  const issues = new IssueCollector();
  const fail = () => {
    const lines = issues.issues.map((issue) => `  - ${formatIssue(issue)}`);
    if (issues.omitted > 0) lines.push(`  … and ${issues.omitted} more`);
    const heading =
      issues.count === 1 ? 'Invalid scenario:' : `Invalid scenario (${issues.count} problems):`;
    return new BatonError('SCENARIO_INVALID', [heading, ...lines].join('\n'), {
      details: { file, issues: issues.issues, omitted: issues.omitted },
    });
  };
  const read = readTextFile(file);
  if (!read.ok) {
    issues.add({
      source: file,
      path: '',
      message: read.reason,
      ...(read.line === undefined ? {} : { line: read.line, column: read.column ?? 1 }),
      kind: read.kind === 'encoding' ? 'syntax' : 'unreadable',
    });
    throw fail();
  }
  let raw: unknown;
  try {
    raw = parseToml(read.text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    issues.add({
      source: file,
      path: '',
      message: `TOML syntax error: ${error.message.split('\n')[0]}`,
      line: error.line,
      column: error.column,
      kind: 'syntax',
    });
    throw fail();
  }
  guardParsedTree(raw, file, issues);
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const found = new IssueCollector();
    convertZodIssues(parsed.error.issues, scenarioSchema, raw, file, found);
    for (const issue of found.issues) issues.add(withLine(issue, read.text));
  }
  if (issues.count > 0 || !parsed.success) throw fail();
  const scenario = normalise(file, parsed.data, read.text, issues);
  if (issues.count > 0) throw fail();
  return scenario;
}

/** The issue with the line of the key it is about, when the key can be found in the text. */
function withLine(issue: ConfigIssue, text: string): ConfigIssue {
  if (issue.line !== undefined) return issue;
  const line = lineOfKey(text, issue.path);
  return line === null ? issue : { ...issue, line, column: 1 };
}

function normalise(
  file: string,
  data: ScenarioFile,
  text: string,
  issues: IssueCollector,
): Scenario {
  const directory = dirname(file);
  const problem = (path: string, message: string, value?: unknown) =>
    issues.add(
      withLine(
        { source: file, path, message, kind: 'schema', ...(value === undefined ? {} : { value }) },
        text,
      ),
    );
  let timeoutMs = DEFAULT_SCENARIO_TIMEOUT_MS;
  if (data.timeout !== undefined) {
    const parsed = parseDuration(data.timeout);
    if (parsed === undefined)
      problem('timeout', 'is not a duration like "90s" or "5m"', data.timeout);
    else timeoutMs = parsed;
  }
  const replies = (data.replies ?? []).map((reply, index) =>
    normaliseReply(reply, (message, value) => problem(`replies[${index}].delay`, message, value)),
  );
  return {
    file,
    name: data.name,
    goal: data.goal,
    mission: data.mission ?? 'deliver',
    answers: (data.answers ?? []).map(normaliseAnswer),
    seed: data.seed === undefined ? null : resolve(directory, data.seed),
    configFile: data.config === undefined ? null : resolve(directory, data.config),
    timeoutMs,
    git: data.git ?? true,
    replies,
    expectations: data.expect.map((expectation, index) =>
      normaliseExpectation(expectation, index, lineOfKey(text, `expect[${index}]`)),
    ),
  };
}

function normaliseAnswer(
  answer: string | { decision: 'approve' | 'reject'; text?: string | undefined },
): ScenarioAnswer {
  if (typeof answer !== 'string') return { decision: answer.decision, text: answer.text ?? '' };
  const match = ANSWER_PATTERN.exec(answer)!;
  return { decision: match[1] as 'approve' | 'reject', text: (match[2] ?? '').trim() };
}

function normaliseReply(
  reply: ReplyFile,
  problem: (message: string, value: unknown) => void,
): ScenarioReply {
  const usage =
    reply.usage === undefined
      ? undefined
      : {
          ...(reply.usage.input_tokens === undefined
            ? {}
            : { inputTokens: reply.usage.input_tokens }),
          ...(reply.usage.output_tokens === undefined
            ? {}
            : { outputTokens: reply.usage.output_tokens }),
          ...(reply.usage.cached_input_tokens === undefined
            ? {}
            : { cachedInputTokens: reply.usage.cached_input_tokens }),
          ...(reply.usage.reasoning_tokens === undefined
            ? {}
            : { reasoningTokens: reply.usage.reasoning_tokens }),
        };
  let turn: ScriptTurn;
  if (reply.error !== undefined) {
    const { in_stream: inStream, ...error } = reply.error;
    turn = {
      error: { ...error, ...(inStream === undefined ? {} : { inStream }) },
      ...(reply.times === undefined ? {} : { times: reply.times }),
    };
  } else if (reply.tool !== undefined) {
    const call =
      'shell' in reply.tool
        ? {
            command: reply.tool.shell,
            ...(reply.tool.description === undefined
              ? {}
              : { description: reply.tool.description }),
          }
        : { name: reply.tool.name, arguments: reply.tool.arguments };
    turn = { toolCall: call, ...(usage === undefined ? {} : { usage }) };
  } else {
    turn = { text: reply.text ?? '', ...(usage === undefined ? {} : { usage }) };
  }
  if (reply.delay !== undefined) {
    const ms = parseDuration(reply.delay);
    if (ms === undefined) problem('is not a duration like "500ms" or "2s"', reply.delay);
    else turn = delay(ms, turn);
  }
  return { stage: reply.stage, runtime: reply.runtime ?? null, turn };
}

function normaliseExpectation(
  expectation: ExpectationFile,
  index: number,
  line: number | null,
): Expectation {
  const operator = OPERATORS.find((key) => expectation[key] !== undefined)!;
  const pick = expectation.pick ?? 'all';
  const where = expectation.where ?? {};
  let subject: ExpectationSubject;
  if (expectation.file !== undefined) subject = { kind: 'file', file: expectation.file };
  else if (expectation.event !== undefined)
    subject = {
      kind: 'event',
      type: expectation.event,
      where,
      path: expectation.path ?? null,
      pick,
    };
  else if (expectation.request !== undefined)
    subject = {
      kind: 'request',
      where: { ...expectation.request, ...where },
      path: expectation.path ?? null,
      pick,
    };
  else subject = { kind: 'result', path: expectation.path! };
  // As JSON: a TOML date is compared as its text, like every value read from the journal.
  const expected: unknown = JSON.parse(JSON.stringify(expectation[operator]));
  return { index, line, subject, operator, expected };
}
