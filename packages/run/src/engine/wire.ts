/**
 * Engine events and directives in their journal form: snake_case JSON payloads. Decoding
 * checks every field, because replay feeds the engine from a file a user can touch.
 */
import {
  BatonError,
  ERROR_KINDS,
  isStage,
  type MissionStep,
  type Stage,
  type StageResolution,
} from '@baton/core';
import type {
  Directive,
  EngineEvent,
  EngineEventType,
  LegacyRouting,
  MissionSnapshot,
  RoutingSnapshot,
  StageError,
  Verdict,
} from './types.js';
import { ENGINE_EVENT_TYPES } from './types.js';

export type Payload = Record<string, unknown>;

/** The journal type of every directive. */
export const DIRECTIVE_EVENT_TYPE = 'control.directive.emitted';

export function isEngineEventType(type: string): type is EngineEventType {
  return (ENGINE_EVENT_TYPES as readonly string[]).includes(type);
}

export function encodeEvent(event: EngineEvent): Payload {
  switch (event.type) {
    case 'run.started':
      return {
        run_id: event.runId,
        goal: event.goal,
        mission: encodeMission(event.mission),
        routing: encodeRouting(event.routing),
        retry: { max_retries: event.retry.maxRetries, base_delay_ms: event.retry.baseDelayMs },
      };
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
      };
    case 'human.answered':
      return {
        step: event.step,
        answer: event.answer,
        ...(event.decision === undefined ? {} : { decision: event.decision }),
      };
    case 'run.interrupted':
      return { cause: event.cause };
    case 'run.resumed':
      return {};
  }
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

function encodeRouting(routing: RoutingSnapshot): Payload {
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
  return { stages, backend_profile: routing.backendProfile };
}

/** Reads a journaled engine event; throws `RUN_STATE` naming the bad field. */
export function decodeEvent(type: EngineEventType, payload: unknown): EngineEvent {
  const read = reader(type, payload);
  switch (type) {
    case 'run.started': {
      const mission = read.object('mission');
      const retry = read.object('retry');
      const steps = mission.array('steps').map((step, index) => decodeStep(type, step, index));
      return {
        type,
        runId: read.string('run_id'),
        goal: read.string('goal'),
        mission: {
          name: mission.string('name'),
          steps,
          maxLoops: mission.integer('max_loops'),
        },
        routing: decodeRouting(type, read.object('routing'), steps),
        retry: {
          maxRetries: retry.integer('max_retries'),
          baseDelayMs: retry.integer('base_delay_ms'),
        },
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
      };
    }
    case 'human.answered': {
      const decision = read.optionalOneOf('decision', ['approve', 'reject'] as const);
      return {
        type,
        step: read.integer('step'),
        answer: read.string('answer'),
        ...(decision === undefined ? {} : { decision }),
      };
    }
    case 'run.interrupted':
      return { type, cause: read.string('cause') };
    case 'run.resumed':
      return { type };
  }
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
  return { stages, backendProfile };
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

export function encodeDirective(directive: Directive): Payload {
  switch (directive.kind) {
    case 'dispatch':
      return {
        directive: 'dispatch',
        stage: directive.stage,
        step: directive.step,
        extra: {
          runtime_id: directive.runtime,
          source: directive.source,
          access: directive.access,
          attempt: directive.attempt,
          loop: directive.loop,
          backoff_ms: directive.backoffMs,
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
  string(key: string): string;
  nullableString(key: string): string | null;
  integer(key: string): number;
  boolean(key: string): boolean;
  stage(key: string): Stage;
  oneOf<const T extends readonly string[]>(key: string, values: T): T[number];
  optionalOneOf<const T extends readonly string[]>(key: string, values: T): T[number] | undefined;
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
