/**
 * The driver performs the engine's directives: it dispatches stages to their runtimes,
 * asks humans, and journals everything. Every engine event is journaled together with the
 * directives it produced (and the annotations that explain it) in one transaction, and the
 * engine is fed the journaled (redacted) payload — so the live state and a replay of the
 * journal are the same state, by construction.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { approvalSubject } from '../approval.js';
import type { Directive, EngineEvent, RunState, RunStatus } from '../engine/types.js';
import type { Journal, NewEvent, NewRun } from '../journal/journal.js';
import { JOURNAL_DIRECTORY } from '../journal/location.js';
import type { ProcessIdentity } from '../journal/owner.js';
import type { Redactor } from '../redact.js';
import {
  type AttemptResources,
  type DispatchDirective,
  interruptCause,
  runAttempt,
  stageProgress,
} from './attempt.js';
import type { AskHuman } from './observer.js';
import { StageWorkspace } from './stage-workspace.js';
import { type Annotations, planTransition } from './transition.js';

/** How a drive ended for this process. */
export interface DriveResult {
  readonly status: RunStatus;
  readonly cause: string | null;
  readonly question: string | null;
}

export interface DriverInit extends AttemptResources {
  readonly runId: string;
  readonly journal: Journal;
  readonly owner: ProcessIdentity;
  readonly ask?: AskHuman;
  /** The state rebuilt from the journal (resume), or `null` for a new run. */
  readonly state: RunState | null;
}

export class RunDriver {
  private state: RunState | null;
  private readonly init: DriverInit;
  private workspace: StageWorkspace | null = null;

  constructor(init: DriverInit) {
    this.init = init;
    this.state = init.state;
  }

  get current(): RunState | null {
    return this.state;
  }

  /** Journals `run.started` (creating the run) and drives it. */
  async start(
    event: Extract<EngineEvent, { type: 'run.started' }>,
    run: Omit<NewRun, 'runId' | 'owner'>,
    annotations: Annotations,
  ): Promise<DriveResult> {
    const directives = this.apply(event, annotations, {
      ...run,
      runId: this.init.runId,
      owner: this.init.owner,
    });
    return this.drive(directives);
  }

  /** Applies an event to a run rebuilt from the journal (an answer, a resume) and drives on. */
  async continueWith(event: EngineEvent, annotations: Annotations = {}): Promise<DriveResult> {
    return this.drive(this.apply(event, annotations));
  }

  /**
   * Redacts and journals an engine event with its annotations and directives in one
   * transaction, then moves to the state the engine computed from the journaled payload.
   */
  apply(
    event: EngineEvent,
    annotations: Annotations = {},
    newRun?: NewRun,
    redactor = this.init.redactor,
  ): Directive[] {
    // The run stays this process's while it runs, and while it asks its question here:
    // no other process may answer or resume it meanwhile.
    const planned = planTransition(
      this.state,
      event,
      annotations,
      redactor,
      (next) =>
        next.status === 'running' || (next.status === 'waiting' && this.init.ask !== undefined),
    );
    if (newRun) this.init.journal.createRun(newRun, planned.entries, planned.update);
    else this.init.journal.append(this.init.runId, planned.entries, planned.update);
    this.state = planned.state;
    return [...planned.directives];
  }

  private async drive(initial: readonly Directive[]): Promise<DriveResult> {
    const queue = [...initial];
    while (queue.length > 0) {
      const directive = queue.shift()!;
      switch (directive.kind) {
        case 'dispatch':
          queue.push(...(await this.dispatch(directive)));
          break;
        case 'ask_human': {
          const subject = approvalSubject(this.state!, directive.step);
          this.init.observer?.question?.(
            directive.step,
            this.init.redactor.text(directive.question),
            subject,
          );
          const answer = this.init.ask
            ? await this.init.ask(directive.question, directive.step, subject)
            : null;
          if (answer === null) {
            // Paused: the question waits for `baton resume --approve/--reject`, from any process.
            if (this.init.ask) this.init.journal.release(this.init.runId, this.init.owner);
            return this.result();
          }
          queue.push(
            ...this.apply(
              {
                type: 'human.answered',
                step: directive.step,
                decision: answer.decision,
                answer: answer.text,
              },
              { extra: { via: 'inline', pid: this.init.owner.pid } },
            ),
          );
          break;
        }
        case 'converge':
        case 'fail':
        case 'cancel':
        case 'reject':
        case 'budget_exhausted':
          return this.result();
      }
    }
    return this.result();
  }

  private result(): DriveResult {
    const state = this.state!;
    return {
      status: state.status,
      cause: state.cause,
      question: state.status === 'waiting' ? state.question : null,
    };
  }

  private interrupt(before: readonly NewEvent[] = [], redactor?: Redactor): Directive[] {
    return this.apply(
      { type: 'run.interrupted', cause: interruptCause(this.init.signal) },
      { before },
      undefined,
      redactor,
    );
  }

  private async dispatch(directive: DispatchDirective): Promise<Directive[]> {
    const { init } = this;
    if (directive.backoffMs > 0) {
      init.observer?.retryScheduled?.(stageProgress(init.runId, directive), directive.backoffMs);
      try {
        await sleep(directive.backoffMs, undefined, { signal: init.signal });
      } catch {
        // Aborted during the backoff: handled below.
      }
    }
    if (init.signal?.aborted) return this.interrupt();
    const end = await runAttempt(
      {
        runId: init.runId,
        config: init.config,
        registry: init.registry,
        env: init.env,
        depth: init.depth,
        redactor: init.redactor,
        adapters: init.adapters,
        binaries: init.binaries,
        options: init.options,
        ...(init.observer === undefined ? {} : { observer: init.observer }),
        ...(init.signal === undefined ? {} : { signal: init.signal }),
        workspace: await this.stageWorkspace(),
        scratchRoot: join(init.config.projectRoot, JOURNAL_DIRECTORY, 'scratch'),
        journal: { append: (events) => init.journal.append(init.runId, events) },
      },
      directive,
      this.state!,
      { sessionAnnounced: (event, redactor) => this.apply(event, {}, undefined, redactor) },
    );
    return this.apply(end.event, end.annotations, undefined, end.redactor);
  }

  /** The run's workspace for checkpoints, opened at the first attempt that needs it. */
  private async stageWorkspace(): Promise<StageWorkspace> {
    this.workspace ??= await StageWorkspace.open(
      this.init.runId,
      this.init.config.projectRoot,
      this.init.env,
    );
    return this.workspace;
  }
}
