/**
 * One attempt of a stage, as both executors run it — this machine's driver, and a worker
 * of the scale pool: the runtime checked, the workspace prepared (checkpoint, restore), the
 * stage request built (contract, prompt, model, effort, budget, scratch folder, environment),
 * the process run with its events journaled as they come (`agent.process.started`,
 * `runtime.event`, the harness's session at once), then the outcome judged: the failure
 * explained, usage priced, the verdict read, the workspace's changes and a failed attempt's
 * leftovers recorded. What ends the attempt comes back as the engine event to apply with
 * what leads to it (`agent.process.exited`, `workspace.changed`, `stage.checkpoint`,
 * `verdict.recorded`): the executor journals it with the transition it makes, once.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AdapterRegistry,
  type BatonConfig,
  type Environment,
  type RuntimeAdapter,
  type RuntimeEvent,
  renderRoleContract,
  type StageBudget,
  type StageRequest,
} from '@baton/core';
import { sha256Text as sha256 } from '../canonical-json.js';
import type { Directive, EngineEvent, RunState } from '../engine/types.js';
import type { Payload } from '../engine/wire.js';
import type { NewEvent } from '../journal/journal.js';
import { processStartToken } from '../journal/owner.js';
import { composePrompt, composeResumePrompt } from '../prompt.js';
import type { Redactor } from '../redact.js';
import { readVerdict } from '../verdict.js';
import { type BinaryRecord, binaryChange } from './binaries.js';
import { attemptUsage } from './cost.js';
import { childEnvironment } from './environment.js';
import { explainFailure } from './failure-detail.js';
import { MessageJoiner } from './messages.js';
import type { AttemptPlan, RunObserver, StageProgress } from './observer.js';
import type { ResolvedRunnerOptions } from './options.js';
import { runStage, type StageRunResult } from './stage.js';
import type { AfterFailure, AttemptIdentity, PreparedWorkspace } from './stage-workspace.js';
import { ToolCallCounter } from './tool-calls.js';
import type { Annotations } from './transition.js';
import { clip, runtimeEventToWire, totalTokens, usageToWire } from './wire-events.js';
import { changesBetween, changesToWire, readWorkspaceState } from './workspace-changes.js';

/** Longest final text kept per stage in the journal (its start and its end are kept). */
export const MAX_FINAL_TEXT = 64_000;

export type DispatchDirective = Extract<Directive, { kind: 'dispatch' }>;
type StageEnded = Extract<EngineEvent, { type: 'stage.ended' }>;
type StageSession = Extract<EngineEvent, { type: 'stage.session' }>;
type RunInterrupted = Extract<EngineEvent, { type: 'run.interrupted' }>;

/**
 * Where an attempt's events go as they happen, in order. Appends may complete later (a
 * database over the network): the executor waits for them before it journals the end.
 */
export interface AttemptJournal {
  append(events: readonly NewEvent[]): void;
}

/** The folder a stage works in, and what is done to it around each attempt. */
export interface AttemptWorkspace {
  readonly cwd: string;
  /** A git work tree: what an attempt did can be kept and put back. */
  readonly isGit: boolean;
  prepare(identity: AttemptIdentity, restore: boolean): Promise<PreparedWorkspace>;
  afterFailure(identity: AttemptIdentity): Promise<AfterFailure>;
}

/**
 * What every attempt of a run reaches in the process that executes it: the run's config,
 * adapters and binaries, the runner's options, the observer, the abort signal.
 */
export interface AttemptResources {
  readonly config: BatonConfig;
  readonly registry: AdapterRegistry;
  readonly env: Environment;
  readonly depth: number;
  readonly redactor: Redactor;
  readonly adapters: ReadonlyMap<string, RuntimeAdapter>;
  readonly binaries: ReadonlyMap<string, BinaryRecord>;
  readonly options: ResolvedRunnerOptions;
  readonly observer?: RunObserver;
  readonly signal?: AbortSignal;
}

export interface AttemptSetup extends AttemptResources {
  readonly runId: string;
  readonly workspace: AttemptWorkspace;
  /** Where the attempt's private scratch folder is made (and removed after it). */
  readonly scratchRoot: string;
  readonly journal: AttemptJournal;
  /** Added to the payloads of `agent.process.*` (a worker's name, say). */
  readonly identity?: Payload;
}

export interface AttemptHooks {
  /** The harness announced its session: journal it at once, as an engine event. */
  sessionAnnounced(event: StageSession, redactor: Redactor): void;
}

/** How the attempt ended: the engine event to apply, with what leads to it. */
export type AttemptEnd =
  | {
      readonly kind: 'stage-ended';
      readonly event: StageEnded;
      readonly annotations: Annotations;
      /** The run's redactor plus the secrets of the attempt's command. */
      readonly redactor: Redactor;
    }
  | {
      readonly kind: 'interrupted';
      readonly event: RunInterrupted;
      readonly annotations: Annotations;
      readonly redactor: Redactor;
    };

/** The `runtime_id, stage, step, attempt, loop` every event of an attempt carries. */
/**
 * How an attempt that never ran ends: failed with its runtime unavailable (it never ran here:
 * another runtime of the chain may), and the process record that says so. `identity` is what
 * the attempt's process events carry (`attemptIdentity`, and where it was to run).
 */
export function unavailableEnd(
  directive: DispatchDirective,
  message: string,
  kind: 'binary-changed' | 'spawn' | 'unknown',
  identity: Payload,
): { readonly event: StageEnded; readonly exited: NewEvent } {
  return {
    event: {
      type: 'stage.ended',
      step: directive.step,
      stage: directive.stage,
      attempt: directive.attempt,
      runtime: directive.runtime,
      status: 'failed',
      finalText: null,
      sessionId: null,
      error: { message, kind, retryable: false },
      verdict: null,
      failureClass: 'unavailable',
      retryAfterMs: null,
      usage: null,
    },
    exited: {
      type: 'agent.process.exited',
      payload: {
        ...identity,
        pid: null,
        exit_code: null,
        signal: null,
        duration_ms: 0,
        status: 'failed',
        error: message,
        error_kind: kind,
        failure_class: 'unavailable',
        session_id: null,
        usage: null,
      },
    },
  };
}

export function attemptIdentity(directive: DispatchDirective): Payload {
  return {
    runtime_id: directive.runtime,
    stage: directive.stage,
    step: directive.step,
    attempt: directive.attempt,
    loop: directive.loop,
  };
}

export function stageProgress(runId: string, directive: DispatchDirective): StageProgress {
  return {
    runId,
    step: directive.step,
    stage: directive.stage,
    runtime: directive.runtime,
    attempt: directive.attempt,
    loop: directive.loop,
  };
}

export async function runAttempt(
  setup: AttemptSetup,
  directive: DispatchDirective,
  state: RunState,
  hooks: AttemptHooks,
): Promise<AttemptEnd> {
  const progress = stageProgress(setup.runId, directive);
  const identity = attemptIdentity(directive);
  const processIdentity = { ...identity, ...(setup.identity ?? {}) };

  const notStarted = (
    message: string,
    kind: 'binary-changed' | 'spawn' | 'unknown',
    before: NewEvent[] = [],
  ): AttemptEnd => {
    const end = unavailableEnd(directive, message, kind, processIdentity);
    return {
      kind: 'stage-ended',
      redactor: setup.redactor,
      event: end.event,
      annotations: { before: [...before, end.exited], extra: { loop: directive.loop } },
    };
  };

  const adapter =
    setup.adapters.get(directive.runtime) ?? (await loadAdapter(setup.registry, directive.runtime));
  if (typeof adapter === 'string') return notStarted(adapter, 'spawn');
  const binary = setup.binaries.get(directive.runtime);
  const changed = binary ? binaryChange(binary) : null;
  if (changed !== null) {
    return notStarted(
      `refusing to use a runtime that changed under the running mission: ${changed}`,
      'binary-changed',
      [
        {
          type: 'runtime.binary.changed',
          payload: { runtime_id: directive.runtime, change: changed },
        },
      ],
    );
  }

  // Continue the harness's session only where the adapter can; otherwise the attempt
  // starts over from the stage's checkpoint, and the journal says why.
  const sessionResume =
    directive.reason === 'session-resume' &&
    directive.resumeSessionId !== null &&
    adapter.capabilities.resumeSession;
  const note =
    directive.reason === 'session-resume' && !sessionResume
      ? `${adapter.identity.displayName} cannot continue a session: ${directive.stage} starts over from its checkpoint`
      : null;
  const workspace = setup.workspace;
  const stageIdentity: AttemptIdentity = {
    step: directive.step,
    stage: directive.stage,
    loop: directive.loop,
    attempt: directive.attempt,
  };
  const prepared = await workspace.prepare(
    stageIdentity,
    directive.reason !== 'first' && !sessionResume,
  );
  const planned: AttemptPlan = {
    reason: directive.reason,
    fallbackFrom: directive.fallbackFrom,
    sessionId: sessionResume ? directive.resumeSessionId : null,
    checkpointRef: prepared.checkpointRef,
    abandonedRef: prepared.abandonedRef,
    note: note ?? (directive.reason === 'first' ? null : prepared.problem),
  };
  if (prepared.problem !== null && workspace.isGit) setup.observer?.notice?.(prepared.problem);
  const attemptEvents: NewEvent[] = [...prepared.events];
  if (directive.reason !== 'first' || directive.fallbackFrom !== null) {
    attemptEvents.push(attemptEvent(identity, directive, planned, prepared));
    setup.observer?.attemptPlanned?.(progress, planned);
  }
  if (attemptEvents.length > 0) setup.journal.append(attemptEvents);

  const contract = renderRoleContract(directive.stage, setup.config);
  const prompt = sessionResume
    ? composeResumePrompt(state, directive.stage, directive.step)
    : composePrompt(state, directive.stage, directive.step);
  const settings = setup.config.runtimes[directive.runtime] ?? {};
  // The model and effort the routing chose for this runtime at run start; a target without
  // a model (and every target of a run journaled before chains) takes the runtime's own.
  const model = directive.model ?? settings.model;
  const budget = stageBudget(adapter, directive);
  const scratchDir = join(
    setup.scratchRoot,
    `${setup.runId}-${directive.step}-${directive.stage}-${directive.loop}-${directive.attempt}`,
  );
  rmSync(scratchDir, { recursive: true, force: true });
  mkdirSync(scratchDir, { recursive: true, mode: 0o700 });
  const request: StageRequest = {
    stage: directive.stage,
    prompt,
    contract: contract.text,
    cwd: workspace.cwd,
    access: directive.access,
    profile: state.routing.backendProfile,
    ...(model !== undefined ? { model } : {}),
    ...(directive.effort !== null ? { effort: directive.effort } : {}),
    ...(budget !== null ? { budget } : {}),
    ...(sessionResume ? { resumeSessionId: directive.resumeSessionId! } : {}),
    settings,
    scratchDir,
    env: childEnvironment(setup.env, setup.depth, {
      runId: setup.runId,
      stage: directive.stage,
    }),
  };
  const timeoutMs = settings.timeoutMs ?? setup.options.defaultTimeoutMs;
  const limits = {
    timeoutMs,
    idleTimeoutMs: Math.min(
      settings.idleTimeoutMs ?? setup.options.defaultIdleTimeoutMs,
      timeoutMs,
    ),
    killGraceMs: setup.options.killGraceMs,
    maxLineBytes: setup.options.maxLineBytes,
  };

  let journaled = 0;
  let dropped = 0;
  let stageRedactor = setup.redactor;
  let announcedSession: string | null = null;
  const messages = new MessageJoiner();
  const toolCalls = new ToolCallCounter();
  const show = (events: readonly RuntimeEvent[]) => {
    for (const event of events)
      setup.observer?.runtimeEvent?.(progress, stageRedactor.value(event));
  };
  const record = (events: readonly RuntimeEvent[]) => {
    for (const event of events) {
      if (journaled >= setup.options.maxJournaledEvents) {
        dropped += 1;
        continue;
      }
      journaled += 1;
      setup.journal.append([
        {
          type: 'runtime.event',
          payload: stageRedactor.value({ ...identity, event: runtimeEventToWire(event) }),
        },
      ]);
    }
  };
  // The harness's session, journaled the moment it is announced: a resume after a crash
  // (even `kill -9` of Baton) can continue it.
  const announce = (event: RuntimeEvent) => {
    if (event.type !== 'session' || event.sessionId === announcedSession) return;
    announcedSession = event.sessionId;
    hooks.sessionAnnounced(
      {
        type: 'stage.session',
        step: directive.step,
        stage: directive.stage,
        attempt: directive.attempt,
        runtime: directive.runtime,
        sessionId: event.sessionId,
      },
      stageRedactor,
    );
  };
  const modelUsed = request.model ?? null;
  const workspaceBefore = await readWorkspaceState(request.cwd, setup.env);
  let result: StageRunResult;
  try {
    result = await runStage({
      adapter,
      request,
      redactor: setup.redactor,
      limits,
      signal: setup.signal,
      onStart: (start) => {
        stageRedactor = start.redactor;
        setup.journal.append([
          {
            type: 'agent.process.started',
            payload: stageRedactor.value({
              ...processIdentity,
              pid: start.pid,
              pid_start: processStartToken(start.pid),
              argv: start.argv,
              cwd: request.cwd,
              env_names: start.envNames,
              access: request.access,
              profile: request.profile,
              model: modelUsed,
              effort: request.effort ?? null,
              reason: directive.reason,
              resume_session_id: request.resumeSessionId ?? null,
              budget:
                request.budget === undefined
                  ? null
                  : {
                      max_cost_usd: request.budget.maxCostUsd ?? null,
                      max_turns: request.budget.maxTurns ?? null,
                    },
              contract_sha256: contract.sha256,
              contract_version: contract.version,
              prompt_sha256: sha256(prompt),
              prompt_chars: prompt.length,
              binary: binary ? { path: binary.path, version: binary.version } : null,
              timeout_ms: limits.timeoutMs,
              idle_timeout_ms: limits.idleTimeoutMs,
            }),
          },
        ]);
        setup.observer?.stageStarted?.(progress, start.pid);
      },
      onEvent: (event) => {
        toolCalls.see(event);
        announce(event);
        // Pieces of a streamed message are joined: one message, one journaled event.
        const joined = messages.push(event);
        show(joined.show);
        record(joined.record);
      },
    });
  } finally {
    rmSync(scratchDir, { recursive: true, force: true });
  }
  stageRedactor = result.redactor;
  const lastMessage = messages.flush();
  show(lastMessage.show);
  record(lastMessage.record);
  const changes = result.interrupted
    ? null
    : changesBetween(workspaceBefore, await readWorkspaceState(request.cwd, setup.env));

  const { process } = result;
  const outcome =
    result.outcome.error === null
      ? result.outcome
      : {
          ...result.outcome,
          error: {
            ...result.outcome.error,
            message: explainFailure(
              result.outcome.error.message,
              result.outcome.error.kind,
              directive.runtime,
              settings,
            ),
          },
        };
  const usage = attemptUsage(outcome.usage, modelUsed, setup.config.pricing);
  const verdict =
    directive.stage === 'evaluate' && outcome.status === 'succeeded'
      ? readVerdict(outcome.finalText)
      : null;
  const status = result.interrupted ? 'interrupted' : outcome.status;
  const error = outcome.error;
  const exited: NewEvent = {
    type: 'agent.process.exited',
    payload: {
      ...processIdentity,
      pid: process?.pid ?? null,
      exit_code: process?.exitCode ?? null,
      signal: process?.signal ?? null,
      duration_ms: process?.durationMs ?? 0,
      status,
      stopped_by: process?.stoppedBy ?? null,
      error: error?.message ?? null,
      error_kind: error?.kind ?? null,
      retryable: error?.retryable ?? null,
      failure_class: result.interrupted ? null : (error?.failureClass ?? null),
      retry_after_ms: error?.retryAfterMs ?? null,
      ...(error?.limitReached === undefined ? {} : { limit_reached: error.limitReached }),
      ...(error?.sessionNotFound === true ? { session_not_found: true } : {}),
      session_id: outcome.sessionId,
      usage: usageToWire(outcome.usage, usage),
      stdout_bytes: process?.stdoutBytes ?? 0,
      stdout_lines: process?.stdoutLines ?? 0,
      stderr_tail: process ? clip(process.stderrTail, 2048) : '',
      events_journaled: journaled,
      events_dropped: dropped,
      tool_calls: toolCalls.count,
    },
  };
  setup.observer?.stageEnded?.(progress, {
    status,
    durationMs: process?.durationMs ?? 0,
    tokens: totalTokens(outcome.usage),
    usage,
    error: error ? stageRedactor.text(error.message) : null,
    failureClass: result.interrupted ? null : (error?.failureClass ?? null),
    verdict,
    toolCalls: toolCalls.count,
    eventsDropped: dropped,
    changes,
  });
  if (result.interrupted) {
    return {
      kind: 'interrupted',
      event: { type: 'run.interrupted', cause: interruptCause(setup.signal), usage },
      annotations: { before: [exited] },
      redactor: stageRedactor,
    };
  }

  const before: NewEvent[] = [exited];
  if (workspaceBefore !== null) {
    before.push({
      type: 'workspace.changed',
      payload: { ...identity, changes: changesToWire(changes) },
    });
  }
  let cannotRestore: string | null = null;
  if (outcome.status === 'failed') {
    const left = await workspace.afterFailure(stageIdentity);
    before.push(...left.events);
    cannotRestore = left.cannotRestore;
  }
  if (verdict !== null) {
    before.push({
      type: 'verdict.recorded',
      payload: {
        stage: directive.stage,
        step: directive.step,
        attempt: directive.attempt,
        loop: directive.loop,
        outcome: verdict.outcome,
        reason: verdict.outcome === 'pass' ? null : verdict.reason,
      },
    });
  }
  return {
    kind: 'stage-ended',
    redactor: stageRedactor,
    event: {
      type: 'stage.ended',
      step: directive.step,
      stage: directive.stage,
      attempt: directive.attempt,
      runtime: directive.runtime,
      status: outcome.status,
      finalText: outcome.finalText === null ? null : clipMiddle(outcome.finalText, MAX_FINAL_TEXT),
      sessionId: outcome.sessionId,
      error:
        error === null
          ? null
          : { message: error.message, kind: error.kind, retryable: error.retryable },
      verdict,
      failureClass: error?.failureClass ?? null,
      retryAfterMs: error?.retryAfterMs ?? null,
      ...(error?.limitReached === undefined ? {} : { limitReached: error.limitReached }),
      ...(error?.sessionNotFound === true ? { sessionNotFound: true } : {}),
      ...(cannotRestore === null ? {} : { cannotRestore }),
      usage,
    },
    annotations: {
      before,
      extra: { loop: directive.loop, duration_ms: process?.durationMs ?? 0 },
    },
  };
}

/** Why a run was interrupted, from its abort signal. */
export function interruptCause(signal: AbortSignal | undefined): string {
  const reason = signal?.reason;
  return typeof reason === 'string' ? reason : 'interrupted';
}

/** The spend an adapter may cap natively for this attempt, or `null`. */
function stageBudget(adapter: RuntimeAdapter, directive: DispatchDirective): StageBudget | null {
  const { costCap, turnCap } = adapter.capabilities;
  const maxCostUsd = costCap ? directive.budget.maxCostUsd : null;
  const maxTurns = turnCap ? directive.budget.maxTurns : null;
  if (maxCostUsd === null && maxTurns === null) return null;
  return {
    ...(maxCostUsd === null ? {} : { maxCostUsd }),
    ...(maxTurns === null ? {} : { maxTurns }),
  };
}

/** `stage.fallback` (another runtime) or `stage.attempt` (a retry, a resume), before it starts. */
function attemptEvent(
  identity: Payload,
  directive: DispatchDirective,
  plan: AttemptPlan,
  prepared: PreparedWorkspace,
): NewEvent {
  const from = directive.fallbackFrom;
  return {
    type: from !== null ? 'stage.fallback' : 'stage.attempt',
    payload: {
      ...identity,
      reason: directive.reason,
      from: from?.runtime ?? null,
      to: directive.runtime,
      class: from?.failureClass ?? null,
      cause: from?.cause ?? null,
      delay_ms: directive.backoffMs,
      checkpoint_ref: plan.checkpointRef,
      abandoned_ref: plan.abandonedRef,
      restored: prepared.restored,
      session_id: plan.sessionId,
      ...(plan.note === null ? {} : { note: plan.note }),
    },
  };
}

async function loadAdapter(
  registry: AdapterRegistry,
  runtime: string,
): Promise<RuntimeAdapter | string> {
  try {
    return await registry.load(runtime);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function clipMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.floor(max / 4);
  const tail = max - head;
  return `${text.slice(0, head)}\n[... ${text.length - head - tail} characters omitted ...]\n${text.slice(text.length - tail)}`;
}
