/**
 * Engine events and directives in their journal form: snake_case JSON payloads. Decoding
 * checks every field, because replay feeds the engine from a file a user can touch.
 */
import {
  BatonError,
  DEFAULT_RETRY_SETTINGS,
  ERROR_KINDS,
  FAILURE_CLASSES,
  isStage,
  type MissionStep,
  type RunBudget,
  type Stage,
  type StageResolution,
} from '@baton/core';
import type {
  AttemptUsage,
  Directive,
  EngineEvent,
  EngineEventType,
  LegacyRouting,
  MissionSnapshot,
  RetryPolicy,
  RoutingSnapshot,
  StageError,
  Verdict,
} from './types.js';
import { ENGINE_EVENT_TYPES, JOURNAL_FORMAT } from './types.js';

export type Payload = Record<string, unknown>;

/** The journal type of every directive. */
export const DIRECTIVE_EVENT_TYPE = 'control.directive.emitted';

export function isEngineEventType(type: string): type is EngineEventType {
  return (ENGINE_EVENT_TYPES as readonly string[]).includes(type);
}

export function encodeEvent(event: EngineEvent): Payload {
  switch (event.type) {
    case 'run.started': {
      const format = event.format ?? JOURNAL_FORMAT;
      const common = {
        run_id: event.runId,
        goal: event.goal,
        mission: encodeMission(event.mission),
        routing: encodeRouting(event.routing, format),
      };
      // Formats 1 and 2 are written back exactly as they were read.
      if (format < 3) {
        return {
          ...common,
          retry: { max_retries: event.retry.maxRetries, base_delay_ms: event.retry.baseDelayMs },
        };
      }
      return {
        format,
        ...common,
        retry: {
          max_retries: event.retry.maxRetries,
          base_delay_ms: event.retry.baseDelayMs,
          max_delay_ms: event.retry.maxDelayMs,
          rate_limit_retries: event.retry.rateLimitRetries,
        },
        budget: encodeBudget(event.budget ?? { maxCostUsd: null, maxTokens: null }),
        max_turns: event.maxTurns ?? null,
      };
    }
    case 'stage.ended':
      return {
        step: event.step,
        stage: event.stage,
        attempt: event.attempt,
        runtime_id: event.runtime,
        status: event.status,
        final_text: event.finalText,
        session_id: event.sessionId,
        error: event.error,
        verdict: event.verdict,
        ...(event.failureClass === undefined ? {} : { failure_class: event.failureClass }),
        ...(event.retryAfterMs === undefined ? {} : { retry_after_ms: event.retryAfterMs }),
        ...(event.limitReached === undefined ? {} : { limit_reached: event.limitReached }),
        ...(event.sessionNotFound === undefined
          ? {}
          : { session_not_found: event.sessionNotFound }),
        ...(event.cannotRestore === undefined ? {} : { cannot_restore: event.cannotRestore }),
        ...(event.usage === undefined ? {} : { usage: encodeUsage(event.usage) }),
      };
    case 'stage.session':
      return {
        step: event.step,
        stage: event.stage,
        attempt: event.attempt,
        runtime_id: event.runtime,
        session_id: event.sessionId,
      };
    case 'human.answered':
      return {
        step: event.step,
        answer: event.answer,
        ...(event.decision === undefined ? {} : { decision: event.decision }),
      };
    case 'run.interrupted':
      return {
        cause: event.cause,
        ...(event.usage === undefined ? {} : { usage: encodeUsage(event.usage) }),
      };
    case 'run.resumed':
      return {
        ...(event.fromStep === undefined ? {} : { from_step: event.fromStep }),
        ...(event.budget === undefined ? {} : { budget: encodeBudget(event.budget) }),
        ...(event.unhealthy === undefined ? {} : { unhealthy: { ...event.unhealthy } }),
      };
  }
}

function encodeBudget(budget: RunBudget): Payload {
  return { max_cost_usd: budget.maxCostUsd, max_tokens: budget.maxTokens };
}

/** An attempt's usage in its journal form (also the `usage` of `agent.process.exited`). */
export function encodeUsage(usage: AttemptUsage | null): Payload | null {
  if (usage === null) return null;
  return {
    input_tokens: usage.inputTokens,
    cached_input_tokens: usage.cachedInputTokens,
    output_tokens: usage.outputTokens,
    reasoning_tokens: usage.reasoningTokens,
    cost_usd: usage.costUsd,
    cost_source: usage.costSource,
  };
}

export function encodeMission(mission: MissionSnapshot): Payload {
  return {
    name: mission.name,
    steps: mission.steps.map((step) =>
      step.kind === 'stage'
        ? { kind: 'stage', stage: step.stage }
        : { kind: 'human', question: step.question },
    ),
    max_loops: mission.maxLoops,
  };
}

function encodeRouting(routing: RoutingSnapshot, format: number): Payload {
  if (routing.legacy !== undefined) {
    return {
      runtime_backend: routing.legacy.runtimeBackend,
      default_runtime: routing.legacy.defaultRuntime,
      stages: { ...routing.legacy.stages },
      backend_profile: routing.backendProfile,
    };
  }
  const stages: Payload = {};
  for (const [stage, resolution] of Object.entries(routing.stages)) {
    stages[stage] = {
      source: resolution.source,
      chain: resolution.chain.map((target) => ({
        runtime_id: target.runtime,
        model: target.model,
        model_source: target.modelSource,
        effort: target.effort,
      })),
    };
  }
  if (format < 3) return { stages, backend_profile: routing.backendProfile };
  return {
    stages,
    backend_profile: routing.backendProfile,
    unhealthy: { ...(routing.unhealthy ?? {}) },
  };
}

/** Reads a journaled engine event; throws `RUN_STATE` naming the bad field. */
export function decodeEvent(type: EngineEventType, payload: unknown): EngineEvent {
  const read = reader(type, payload);
  switch (type) {
    case 'run.started': {
      const mission = read.object('mission');
      const steps = mission.array('steps').map((step, index) => decodeStep(type, step, index));
      const routing = decodeRouting(type, read.object('routing'), steps);
      // Formats 1 and 2 did not write theirs: chains (2) or not (1) tell them apart.
      const format = read.optionalInteger('format') ?? (routing.legacy === undefined ? 2 : 1);
      if (format > JOURNAL_FORMAT) {
        throw malformed(
          type,
          'format',
          `is ${format}: the run was started by a newer Baton (this one reads formats up to ${JOURNAL_FORMAT})`,
        );
      }
      const started = {
        type,
        runId: read.string('run_id'),
        goal: read.string('goal'),
        mission: {
          name: mission.string('name'),
          steps,
          maxLoops: mission.integer('max_loops'),
        },
        routing,
        retry: decodeRetry(read.object('retry'), format),
        format,
      } as const;
      if (format < 3) return started;
      const budget = read.object('budget');
      return {
        ...started,
        budget: {
          maxCostUsd: budget.nullableNumber('max_cost_usd'),
          maxTokens: budget.nullableInteger('max_tokens'),
        },
        maxTurns: read.nullableInteger('max_turns'),
      };
    }
    case 'stage.ended': {
      const error = read.nullableObject('error');
      const verdict = read.nullableObject('verdict');
      return {
        type,
        step: read.integer('step'),
        stage: read.stage('stage'),
        attempt: read.integer('attempt'),
        runtime: read.string('runtime_id'),
        status: read.oneOf('status', ['succeeded', 'failed'] as const),
        finalText: read.nullableString('final_text'),
        sessionId: read.nullableString('session_id'),
        error: error === null ? null : decodeStageError(error),
        verdict: verdict === null ? null : decodeVerdict(verdict),
        ...decodeAttemptFacts(read),
      };
    }
    case 'stage.session':
      return {
        type,
        step: read.integer('step'),
        stage: read.stage('stage'),
        attempt: read.integer('attempt'),
        runtime: read.string('runtime_id'),
        sessionId: read.string('session_id'),
      };
    case 'human.answered': {
      const decision = read.optionalOneOf('decision', ['approve', 'reject'] as const);
      return {
        type,
        step: read.integer('step'),
        answer: read.string('answer'),
        ...(decision === undefined ? {} : { decision }),
      };
    }
    case 'run.interrupted': {
      const usage = read.has('usage') ? decodeUsage(read.nullableObject('usage')) : undefined;
      return { type, cause: read.string('cause'), ...(usage === undefined ? {} : { usage }) };
    }
    case 'run.resumed': {
      const fromStep = read.optionalInteger('from_step');
      const budget = read.nullableObject('budget');
      const unhealthy = read.has('unhealthy')
        ? decodeUnhealthy(read.object('unhealthy'))
        : undefined;
      return {
        type,
        ...(fromStep === undefined ? {} : { fromStep }),
        ...(unhealthy === undefined ? {} : { unhealthy }),
        ...(budget === null
          ? {}
          : {
              budget: {
                maxCostUsd: budget.nullableNumber('max_cost_usd'),
                maxTokens: budget.nullableInteger('max_tokens'),
              },
            }),
      };
    }
  }
}

function decodeRetry(read: Reader, format: number): RetryPolicy {
  const maxRetries = read.integer('max_retries');
  const baseDelayMs = read.integer('base_delay_ms');
  if (format < 3) {
    // Not journaled then: a resumed old run falls back and waits on rate limits by the defaults.
    const { maxDelayMs, rateLimitRetries } = DEFAULT_RETRY_SETTINGS;
    return { maxRetries, baseDelayMs, maxDelayMs, rateLimitRetries };
  }
  return {
    maxRetries,
    baseDelayMs,
    maxDelayMs: read.integer('max_delay_ms'),
    rateLimitRetries: read.integer('rate_limit_retries'),
  };
}

/** The keys `stage.ended` gained with failure classes; each absent in older journals. */
function decodeAttemptFacts(read: Reader) {
  const facts: {
    failureClass?: (typeof FAILURE_CLASSES)[number] | null;
    retryAfterMs?: number | null;
    limitReached?: 'cost' | 'turns' | null;
    sessionNotFound?: boolean;
    cannotRestore?: string | null;
    usage?: AttemptUsage | null;
  } = {};
  if (read.has('failure_class'))
    facts.failureClass = read.nullableOneOf('failure_class', FAILURE_CLASSES);
  if (read.has('retry_after_ms')) facts.retryAfterMs = read.nullableInteger('retry_after_ms');
  if (read.has('limit_reached'))
    facts.limitReached = read.nullableOneOf('limit_reached', ['cost', 'turns'] as const);
  if (read.has('session_not_found')) facts.sessionNotFound = read.boolean('session_not_found');
  if (read.has('cannot_restore')) facts.cannotRestore = read.nullableString('cannot_restore');
  if (read.has('usage')) facts.usage = decodeUsage(read.nullableObject('usage'));
  return facts;
}

/**
 * An attempt's usage; also reads the form journaled before costs had a source (`known`,
 * `total_tokens`, a cost that could only be the runtime's).
 */
function decodeUsage(read: Reader | null): AttemptUsage | null {
  if (read === null) return null;
  if (read.keys().includes('known') && read.boolean('known') === false) return null;
  const costUsd = read.nullableNumber('cost_usd');
  const recorded = read.has('cost_source')
    ? read.nullableOneOf('cost_source', ['runtime', 'pricing'] as const)
    : undefined;
  return {
    inputTokens: read.nullableInteger('input_tokens'),
    cachedInputTokens: read.nullableInteger('cached_input_tokens'),
    outputTokens: read.nullableInteger('output_tokens'),
    reasoningTokens: read.nullableInteger('reasoning_tokens'),
    costUsd,
    costSource: costUsd === null ? null : (recorded ?? 'runtime'),
  };
}

const STAGE_ERROR_KINDS = [...ERROR_KINDS, 'interrupted', 'binary-changed', 'spawn'] as const;

function decodeStageError(read: Reader): StageError {
  return {
    message: read.string('message'),
    kind: read.oneOf('kind', STAGE_ERROR_KINDS),
    retryable: read.boolean('retryable'),
  };
}

function decodeVerdict(read: Reader): Verdict {
  const outcome = read.oneOf('outcome', ['pass', 'fail', 'missing'] as const);
  return outcome === 'pass' ? { outcome } : { outcome, reason: read.string('reason') };
}

function decodeStep(type: string, value: unknown, index: number): MissionStep {
  const read = reader(`${type} mission.steps[${index}]`, value);
  const kind = read.oneOf('kind', ['stage', 'human'] as const);
  return kind === 'stage'
    ? { kind, stage: read.stage('stage') }
    : { kind, question: read.string('question') };
}

/** Either journal shape: chains per stage, or format 1's one runtime per stage (`LegacyRouting`). */
function decodeRouting(type: string, read: Reader, steps: readonly MissionStep[]): RoutingSnapshot {
  const backendProfile = read.nullableString('backend_profile');
  if (read.keys().includes('runtime_backend')) {
    const legacy: LegacyRouting = {
      runtimeBackend: read.string('runtime_backend'),
      defaultRuntime: read.nullableString('default_runtime'),
      stages: decodeStageMap(type, read.object('stages')),
    };
    const stages: Partial<Record<Stage, StageResolution>> = {};
    for (const step of steps) {
      if (step.kind === 'stage') stages[step.stage] = legacyResolution(legacy, step.stage);
    }
    return { stages, backendProfile, legacy };
  }
  const table = read.object('stages');
  const stages: Partial<Record<Stage, StageResolution>> = {};
  for (const key of table.keys()) {
    if (!isStage(key)) throw malformed(type, `routing.stages.${key}`, 'is not a stage');
    const route = table.object(key);
    const chain = route.array('chain').map((value, index) => {
      const target = reader(type, value, `routing.stages.${key}.chain[${index}].`);
      return {
        runtime: target.string('runtime_id'),
        model: target.nullableString('model'),
        modelSource: target.oneOf('model_source', ['stage', 'default', 'runtime', 'harness']),
        effort: target.nullableString('effort'),
      };
    });
    if (chain.length === 0) throw malformed(type, `routing.stages.${key}.chain`, 'is empty');
    const source = route.oneOf('source', ['stage', 'default', 'fallback']);
    stages[key] = { runtime: chain[0]!.runtime, source, chain };
  }
  if (!read.has('unhealthy')) return { stages, backendProfile };
  return { stages, backendProfile, unhealthy: decodeUnhealthy(read.object('unhealthy')) };
}

function decodeUnhealthy(read: Reader): Record<string, string> {
  const unhealthy: Record<string, string> = {};
  for (const runtime of read.keys()) unhealthy[runtime] = read.string(runtime);
  return unhealthy;
}

/**
 * Format 1's one rule (`stages`, else `default`, else `runtime_backend`). Its runs named no
 * model: the runner took `[runtimes.<id>] model` when a stage started, as it still does for a
 * target without one.
 */
function legacyResolution(legacy: LegacyRouting, stage: Stage): StageResolution {
  const explicit = legacy.stages[stage];
  const [runtime, source] =
    explicit !== undefined
      ? [explicit, 'stage' as const]
      : legacy.defaultRuntime !== null
        ? [legacy.defaultRuntime, 'default' as const]
        : [legacy.runtimeBackend, 'fallback' as const];
  return {
    runtime,
    source,
    chain: [{ runtime, model: null, modelSource: 'harness', effort: null }],
  };
}

function decodeStageMap(type: string, read: Reader): Partial<Record<Stage, string>> {
  const result: Partial<Record<Stage, string>> = {};
  for (const key of read.keys()) {
    if (!isStage(key)) throw malformed(type, `routing.stages.${key}`, 'is not a stage');
    result[key] = read.string(key);
  }
  return result;
}

/**
 * A directive in its journal form. `format` is the run's journal format: a run started
 * before format 3 keeps the dispatch shape it was journaled with, so its replay still matches.
 */
export function encodeDirective(directive: Directive, format: number = JOURNAL_FORMAT): Payload {
  switch (directive.kind) {
    case 'dispatch': {
      const extra: Payload = {
        runtime_id: directive.runtime,
        source: directive.source,
        access: directive.access,
        attempt: directive.attempt,
        loop: directive.loop,
        backoff_ms: directive.backoffMs,
      };
      if (format >= 3) {
        Object.assign(extra, {
          chain_index: directive.chainIndex,
          model: directive.model,
          effort: directive.effort,
          reason: directive.reason,
          fallback_from:
            directive.fallbackFrom === null
              ? null
              : {
                  runtime_id: directive.fallbackFrom.runtime,
                  failure_class: directive.fallbackFrom.failureClass,
                  cause: directive.fallbackFrom.cause,
                },
          resume_session_id: directive.resumeSessionId,
          budget: {
            max_cost_usd: directive.budget.maxCostUsd,
            max_tokens: directive.budget.maxTokens,
            max_turns: directive.budget.maxTurns,
          },
        });
      }
      return { directive: 'dispatch', stage: directive.stage, step: directive.step, extra };
    }
    case 'budget_exhausted':
      return {
        directive: 'budget_exhausted',
        stage: directive.stage,
        step: directive.step,
        extra: {
          cause: directive.cause,
          spent: {
            tokens: directive.spent.tokens,
            cost_usd: directive.spent.costUsd,
            unpriced_attempts: directive.spent.unpricedAttempts,
          },
          budget: encodeBudget(directive.budget),
        },
      };
    case 'ask_human':
      return {
        directive: 'ask_human',
        stage: null,
        step: directive.step,
        extra: { question: directive.question },
      };
    case 'converge':
      return { directive: 'converge', stage: null, step: null, extra: {} };
    case 'fail':
      return {
        directive: 'fail',
        stage: directive.stage,
        step: null,
        extra: { cause: directive.cause },
      };
    case 'cancel':
      return { directive: 'cancel', stage: null, step: null, extra: { cause: directive.cause } };
    case 'reject':
      return {
        directive: 'reject',
        stage: null,
        step: directive.step,
        extra: { cause: directive.cause },
      };
  }
}

/** The part of a journaled directive payload that the engine decided (no hashes, no seq links). */
export function directiveCore(payload: unknown): Payload {
  const value = (payload ?? {}) as Payload;
  return { directive: value.directive, stage: value.stage, step: value.step, extra: value.extra };
}

interface Reader {
  keys(): string[];
  has(key: string): boolean;
  string(key: string): string;
  nullableString(key: string): string | null;
  integer(key: string): number;
  optionalInteger(key: string): number | undefined;
  nullableInteger(key: string): number | null;
  /** A finite non-negative number, or null. */
  nullableNumber(key: string): number | null;
  boolean(key: string): boolean;
  stage(key: string): Stage;
  oneOf<const T extends readonly string[]>(key: string, values: T): T[number];
  optionalOneOf<const T extends readonly string[]>(key: string, values: T): T[number] | undefined;
  nullableOneOf<const T extends readonly string[]>(key: string, values: T): T[number] | null;
  object(key: string): Reader;
  nullableObject(key: string): Reader | null;
  array(key: string): unknown[];
}

function malformed(type: string, key: string, problem: string): BatonError {
  return new BatonError('RUN_STATE', `Journal event ${type} is malformed: ${key} ${problem}.`, {
    details: { type, key },
  });
}

function reader(type: string, value: unknown, prefix = ''): Reader {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw malformed(type, prefix.replace(/\.$/, '') || 'payload', 'is not an object');
  }
  const record = value as Record<string, unknown>;
  const name = (key: string) => prefix + key;
  const get = (key: string) => record[key];
  const self: Reader = {
    keys: () => Object.keys(record),
    has: (key) => Object.hasOwn(record, key) && record[key] !== undefined,
    string(key) {
      const member = get(key);
      if (typeof member !== 'string') throw malformed(type, name(key), 'is not a string');
      return member;
    },
    nullableString(key) {
      const member = get(key);
      if (member === null || member === undefined) return null;
      if (typeof member !== 'string') throw malformed(type, name(key), 'is not a string or null');
      return member;
    },
    integer(key) {
      const member = get(key);
      if (typeof member !== 'number' || !Number.isSafeInteger(member) || member < 0) {
        throw malformed(type, name(key), 'is not a non-negative integer');
      }
      return member;
    },
    optionalInteger(key) {
      return get(key) === undefined ? undefined : self.integer(key);
    },
    nullableInteger(key) {
      const member = get(key);
      return member === null || member === undefined ? null : self.integer(key);
    },
    nullableNumber(key) {
      const member = get(key);
      if (member === null || member === undefined) return null;
      if (typeof member !== 'number' || !Number.isFinite(member) || member < 0) {
        throw malformed(type, name(key), 'is not a non-negative number or null');
      }
      return member;
    },
    boolean(key) {
      const member = get(key);
      if (typeof member !== 'boolean') throw malformed(type, name(key), 'is not a boolean');
      return member;
    },
    stage(key) {
      const member = get(key);
      if (!isStage(member)) throw malformed(type, name(key), 'is not a stage');
      return member;
    },
    oneOf(key, values) {
      const member = get(key);
      if (typeof member !== 'string' || !values.includes(member)) {
        throw malformed(type, name(key), `is not one of ${values.join(', ')}`);
      }
      return member;
    },
    optionalOneOf(key, values) {
      return get(key) === undefined ? undefined : self.oneOf(key, values);
    },
    nullableOneOf(key, values) {
      const member = get(key);
      return member === null || member === undefined ? null : self.oneOf(key, values);
    },
    object(key) {
      return reader(type, get(key), `${name(key)}.`);
    },
    nullableObject(key) {
      const member = get(key);
      return member === null || member === undefined ? null : reader(type, member, `${name(key)}.`);
    },
    array(key) {
      const member = get(key);
      if (!Array.isArray(member)) throw malformed(type, name(key), 'is not an array');
      return member;
    },
  };
  return self;
}
