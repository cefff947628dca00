/**
 * Baton as a library: run, resume, list, read and replay missions from a program, with
 * typed results, the journal's events as they happen, and `BatonError`s with stable codes.
 *
 * Nothing here is process-global: each call loads its own config, opens its own journal
 * connection and takes its own abort signal, so missions run side by side in one process and
 * aborting one leaves the others running. No signal handler is installed; a program decides
 * what its own Ctrl-C means (abort the signals it passed).
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AdapterRegistry,
  type BatonConfig,
  BatonError,
  type ConfigIssue,
  type Environment,
  findProjectFile,
  formatIssues,
  loadConfig,
  type RunBudget,
  type Stage,
} from '@baton/core';
import {
  displayStatus,
  Journal,
  type JournalEvent,
  type RunRecord,
  runNotFound,
} from './journal/journal.js';
import { ensureJournalDirectory, journalPath, locateProjectRoot } from './journal/location.js';
import { type ReplayReport, replayRun as replayJournal } from './replay.js';
import { type RunResult, readRunResult } from './result.js';
import { causeOf } from './run-header.js';
import type { AskHuman, HumanAnswer, RunObserver } from './runner/observer.js';
import type { RunnerOptions } from './runner/options.js';
import { resumeRun as resumeInJournal, startRun } from './service.js';
import { readRunUsage, type UsageSummary } from './usage-summary.js';

export type { JournalEvent } from './journal/journal.js';
export type { ReplayReport } from './replay.js';
export type { AttemptResult, RunResult, StageResult } from './result.js';
export type { AskHuman, HumanAnswer, RunObserver } from './runner/observer.js';
export type { RunnerOptions } from './runner/options.js';
export type { CostSource, UsageSummary } from './usage-summary.js';

/** Where a call finds the project, its configuration and its adapters. */
export interface ProjectOptions {
  /**
   * The directory the call is made from; the workspace (where runs work and journal) is the
   * nearest folder above it with a `baton.toml` or a `.git`. Default: `process.cwd()`.
   */
  readonly cwd?: string;
  /** The workspace itself, as `--workspace` names it; its `baton.toml` configures the run. */
  readonly workspace?: string;
  /**
   * The configuration: a `baton.toml` path (like `--config`, which does not move the
   * workspace), or a config already loaded (`loadConfig`), whose `projectRoot` is then where
   * the run works and journals.
   * Default: discovered from `cwd`, as `baton` does.
   */
  readonly config?: string | BatonConfig;
  /** Baton's environment, which runtimes inherit. Default: `process.env`. */
  readonly env?: Environment;
  /** The adapters. Default: the adapter packages installed for the project (and beside Baton). */
  readonly registry?: AdapterRegistry;
}

/** What a mission run needs beyond the project. */
export interface DriveOptions extends ProjectOptions {
  /** Aborting stops the running stage's process group and records the run as interrupted. */
  readonly signal?: AbortSignal;
  /** Answers human steps as they come; without it a human step pauses the run (`waiting`). */
  readonly ask?: AskHuman;
  /** Told of stage starts, runtime events and stage ends as they happen. */
  readonly observer?: RunObserver;
  /** Retry, timeout and kill-grace settings for this run. */
  readonly runner?: RunnerOptions;
}

export interface RunMissionOptions extends DriveOptions {
  /** What the run should achieve. */
  readonly goal: string;
  /** A mission name. Default: `deliver`. */
  readonly mission?: string;
  /** The run's budget, over the mission's `max_cost_usd` and `max_tokens` field by field. */
  readonly budget?: Partial<RunBudget>;
}

export interface ResumeRunOptions extends DriveOptions {
  /** A run id, or an unambiguous prefix of one. */
  readonly runId: string;
  /** The answer to the question a waiting run asks: approve (with input), or reject (why). */
  readonly answer?: HumanAnswer;
  /** A failed, interrupted or out-of-budget run: start again from this stage (at or before where it stopped). */
  readonly from?: Stage;
  /** A new budget for the rest of the run, over the one it had, field by field. */
  readonly budget?: Partial<RunBudget>;
  /** Go on although the workspace changed since the run stopped (the changes are kept in a ref). */
  readonly force?: boolean;
}

/** A mission in progress. */
export interface MissionHandle {
  /** The run's id, once the run exists (after the checks that precede it); `null` before. */
  readonly runId: string | null;
  /**
   * The run's journal events as they are written, from its first one to its last: exactly
   * what the journal holds for this run's part. Each iteration starts from the first event;
   * iterating after the run ended yields them all. Throws the run's error if it failed to run.
   */
  readonly events: AsyncIterable<JournalEvent>;
  /** Settles when this call stops driving the run: finished, paused, interrupted or failed to run. */
  readonly result: Promise<RunResult>;
}

/** Starts a mission; see `MissionHandle`. Errors (bad config, a failing runtime check) reject `result`. */
export function runMission(options: RunMissionOptions): MissionHandle {
  return drive(options, (context) =>
    startRun(context, {
      goal: options.goal,
      ...(options.mission === undefined ? {} : { mission: options.mission }),
      ...(options.budget === undefined ? {} : { budget: options.budget }),
    }),
  );
}

/** Continues a waiting, interrupted, failed or out-of-budget run (`baton resume`). */
export function resumeRun(options: ResumeRunOptions): MissionHandle {
  return drive(options, (context) =>
    resumeInJournal(context, {
      runId: options.runId,
      ...(options.answer === undefined ? {} : { answer: options.answer }),
      ...(options.from === undefined ? {} : { from: options.from }),
      ...(options.budget === undefined ? {} : { budget: options.budget }),
      ...(options.force === undefined ? {} : { force: options.force }),
    }),
  );
}

/** A run as `baton runs` lists it. */
export interface RunListing {
  readonly runId: string;
  readonly status: RunRecord['status'];
  readonly cause: string | null;
  readonly goal: string;
  readonly mission: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Tokens and cost of every attempt. */
  readonly usage: UsageSummary;
}

export interface ListRunsOptions extends Omit<ProjectOptions, 'registry'> {
  /** At most this many runs, newest first. Default: 50. */
  readonly limit?: number;
}

/** The project's runs, newest first. */
export function listRuns(options: ListRunsOptions = {}): RunListing[] {
  return reading(
    options,
    (journal) =>
      journal.listRuns(options.limit ?? 50).map((run) => {
        const status = displayStatus(run);
        return {
          runId: run.runId,
          status,
          cause: causeOf(run, status),
          goal: run.goal,
          mission: run.mission,
          createdAt: run.createdAt,
          updatedAt: run.updatedAt,
          usage: readRunUsage(journal, run.runId),
        };
      }),
    () => [],
  );
}

export interface RunQuery extends Omit<ProjectOptions, 'registry'> {
  /** A run id, or an unambiguous prefix of one. */
  readonly runId: string;
}

/** A run's journal events, in order (`baton events`). */
export function readEvents(options: RunQuery & { readonly afterSeq?: number }): JournalEvent[] {
  return reading(options, (journal) => [
    ...journal.events(journal.findRun(options.runId).runId, options.afterSeq ?? 0),
  ]);
}

/** A run's typed result, read from the journal (while it runs, so far). */
export function readRun(options: RunQuery): RunResult {
  return reading(options, (journal) =>
    readRunResult(journal, journal.findRun(options.runId).runId),
  );
}

/** Re-derives a run's state from its journal and checks it matches (`baton replay`). */
export function replayRun(options: RunQuery): ReplayReport {
  return reading(options, (journal) =>
    replayJournal(journal, journal.findRun(options.runId).runId),
  );
}

/** Loads what a run needs, drives it, and streams its journal events to the handle. */
function drive(
  options: DriveOptions,
  body: (context: Parameters<typeof startRun>[0]) => Promise<{ runId: string }>,
): MissionHandle {
  const events = new EventFeed();
  let runId: string | null = null;
  const result = (async () => {
    const env = options.env ?? process.env;
    const { config, registry } = loadProject(options, env);
    ensureJournalDirectory(config.projectRoot);
    const journal = Journal.open(journalPath(config.projectRoot));
    // This connection is the run's own: every event appended through it is this run's.
    const stopListening = journal.onAppend((appended) => events.push(appended));
    try {
      const summary = await body({
        config,
        registry,
        journal,
        env,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.ask === undefined ? {} : { ask: options.ask }),
        ...(options.observer === undefined ? {} : { observer: options.observer }),
        ...(options.runner === undefined ? {} : { options: options.runner }),
        onRunOwned: (id) => {
          runId = id;
          events.adopt(journal, id);
        },
      });
      return readRunResult(journal, summary.runId);
    } finally {
      stopListening();
      journal.close();
    }
  })();
  result.then(
    () => events.end(null),
    (error: unknown) => events.end(error),
  );
  return {
    get runId() {
      return runId;
    },
    events,
    result,
  };
}

/**
 * The run's events for any number of readers: kept in order as they are appended, each
 * reader walking them from the first. A resumed run's earlier events are read from the
 * journal first, so the feed is the run's whole journal.
 */
class EventFeed implements AsyncIterable<JournalEvent> {
  private readonly events: JournalEvent[] = [];
  private readonly waiting = new Set<() => void>();
  private done = false;
  private error: unknown = null;
  private lastSeq = 0;

  /** The run this feed is for is known: take its events written before this connection saw them. */
  adopt(journal: Journal, runId: string): void {
    const earlier = [...journal.events(runId)].filter((event) => event.seq > this.lastSeq);
    if (earlier.length > 0) {
      this.events.unshift(...earlier);
      this.lastSeq = Math.max(this.lastSeq, earlier.at(-1)!.seq);
    }
  }

  push(appended: readonly JournalEvent[]): void {
    for (const event of appended) {
      if (event.seq <= this.lastSeq) continue;
      this.lastSeq = event.seq;
      // As the journal gives it back: the payload as stored JSON, not the object appended.
      this.events.push({ ...event, payload: JSON.parse(JSON.stringify(event.payload)) });
    }
    this.wake();
  }

  end(error: unknown): void {
    this.done = true;
    this.error = error;
    this.wake();
  }

  private wake(): void {
    for (const resolve of this.waiting) resolve();
    this.waiting.clear();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<JournalEvent> {
    let index = 0;
    while (true) {
      if (index < this.events.length) {
        yield this.events[index++]!;
        continue;
      }
      if (this.done) {
        if (this.error !== null) throw this.error;
        return;
      }
      await new Promise<void>((resolve) => this.waiting.add(resolve));
    }
  }
}

/** The config and adapters of a call: given, or loaded the way `baton` loads them. */
function loadProject(
  options: ProjectOptions,
  env: Environment,
): { config: BatonConfig; registry: AdapterRegistry } {
  const cwd = options.cwd ?? process.cwd();
  const configFile = typeof options.config === 'string' ? options.config : undefined;
  // The workspace's own adapter packages come first when it is named.
  const from = options.workspace === undefined ? cwd : resolve(cwd, options.workspace);
  const registry = options.registry ?? discoverAdapters(from, configFile);
  if (options.config !== undefined && typeof options.config !== 'string') {
    return { config: options.config, registry };
  }
  const loaded = loadConfig({
    cwd,
    env,
    registry,
    ...(configFile === undefined ? {} : { configFile }),
    ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
  });
  if (!loaded.ok) throw configError(loaded.issues, loaded.files, loaded.omitted);
  return { config: loaded.config, registry };
}

/** Adapter packages installed in the project (nearest first), then beside this package. */
function discoverAdapters(cwd: string, configFile: string | undefined): AdapterRegistry {
  const roots = [cwd];
  const projectFile = configFile ?? findProjectFile(cwd);
  if (projectFile !== undefined) roots.push(dirname(projectFile));
  roots.push(dirname(fileURLToPath(import.meta.url)));
  return new AdapterRegistry().discover(roots);
}

/** Every config problem in one error: `CONFIG_SYNTAX` when all are syntax errors, else `CONFIG_INVALID`. */
export function configError(
  issues: readonly ConfigIssue[],
  files: readonly string[],
  omitted = 0,
): BatonError {
  const syntaxOnly = issues.every((issue) => issue.kind === 'syntax');
  return new BatonError(
    syntaxOnly ? 'CONFIG_SYNTAX' : 'CONFIG_INVALID',
    formatIssues(issues, omitted),
    {
      details: { issues, omitted, files },
    },
  );
}

/**
 * Opens the project's journal read-only for `read`. A project without a journal has no runs:
 * `none` answers then (by default, the run asked for is not found).
 */
function reading<T>(
  options: Omit<ProjectOptions, 'registry'> & { readonly runId?: string },
  read: (journal: Journal) => T,
  none: () => T = () => {
    throw runNotFound(options.runId ?? '');
  },
): T {
  const cwd = options.cwd ?? process.cwd();
  const root =
    options.config !== undefined && typeof options.config !== 'string'
      ? options.config.projectRoot
      : locateProjectRoot({ cwd, workspace: options.workspace });
  const path = journalPath(root);
  if (!existsSync(path)) return none();
  const journal = Journal.open(path, { readOnly: true });
  try {
    return read(journal);
  } finally {
    journal.close();
  }
}
