/** The routing of `run.started` in its journal form, in both shapes a journal may hold. */
import { BatonError, DELIVER_MISSION, type MissionStep } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { hashValue } from '../canonical-json.js';
import { routingFor } from '../test-support/routing.js';
import { applyEvent } from './reducer.js';
import { stateHash } from './state-hash.js';
import type { EngineEvent, RoutingSnapshot } from './types.js';
import { decodeEvent, encodeEvent } from './wire.js';

function started(
  routing: RoutingSnapshot,
  steps: readonly MissionStep[] = DELIVER_MISSION.steps,
): Extract<EngineEvent, { type: 'run.started' }> {
  return {
    type: 'run.started',
    runId: 'run-r',
    goal: 'g',
    mission: { name: 'm', steps, maxLoops: 0 },
    routing,
    retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 60_000, rateLimitRetries: 3 },
  };
}

const CHAINED: RoutingSnapshot = {
  stages: {
    interview: {
      runtime: 'codex',
      source: 'stage',
      chain: [{ runtime: 'codex', model: 'gpt-5.5', modelSource: 'stage', effort: 'high' }],
    },
    execute: {
      runtime: 'codex',
      source: 'default',
      chain: [
        { runtime: 'codex', model: null, modelSource: 'harness', effort: null },
        { runtime: 'claude-code', model: 'opus', modelSource: 'runtime', effort: null },
      ],
    },
    evaluate: {
      runtime: 'claude-code',
      source: 'fallback',
      chain: [{ runtime: 'claude-code', model: 'opus', modelSource: 'runtime', effort: null }],
    },
    reflect: {
      runtime: 'hermes',
      source: 'stage',
      chain: [{ runtime: 'hermes', model: null, modelSource: 'harness', effort: null }],
    },
  },
  backendProfile: 'worker',
};

/** A `run.started` payload as @baton/run 0.1.0 wrote it. */
const FORMAT_1 = {
  run_id: 'run-old',
  goal: 'g',
  mission: {
    name: 'review',
    steps: [
      { kind: 'stage', stage: 'interview' },
      { kind: 'human', question: 'ok?' },
      { kind: 'stage', stage: 'execute' },
    ],
    max_loops: 0,
  },
  routing: {
    runtime_backend: 'claude-code',
    default_runtime: null,
    stages: { interview: 'codex' },
    backend_profile: null,
  },
  retry: { max_retries: 2, base_delay_ms: 20 },
};

describe('routing in run.started', () => {
  it('journals each stage chain with its models and reads it back unchanged', () => {
    const event = started(CHAINED);
    const payload = encodeEvent(event);
    expect((payload.routing as { stages: Record<string, unknown> }).stages.execute).toEqual({
      source: 'default',
      chain: [
        { runtime_id: 'codex', model: null, model_source: 'harness', effort: null },
        { runtime_id: 'claude-code', model: 'opus', model_source: 'runtime', effort: null },
      ],
    });
    expect(payload.format).toBe(3);
    expect(decodeEvent('run.started', JSON.parse(JSON.stringify(payload)))).toEqual({
      ...event,
      format: 3,
      budget: { maxCostUsd: null, maxTokens: null },
      maxTurns: null,
      routing: { ...CHAINED, unhealthy: {} },
    });
  });

  it('reads a format 1 routing as one-runtime chains of the mission stages, by the old rule', () => {
    const event = decodeEvent('run.started', FORMAT_1);
    if (event.type !== 'run.started') throw new Error('not run.started');
    expect(event.routing).toEqual({
      stages: {
        interview: {
          runtime: 'codex',
          source: 'stage',
          chain: [{ runtime: 'codex', model: null, modelSource: 'harness', effort: null }],
        },
        execute: {
          runtime: 'claude-code',
          source: 'fallback',
          chain: [{ runtime: 'claude-code', model: null, modelSource: 'harness', effort: null }],
        },
      },
      backendProfile: null,
      legacy: {
        runtimeBackend: 'claude-code',
        defaultRuntime: null,
        stages: { interview: 'codex' },
      },
    });
    expect(encodeEvent(event)).toEqual(FORMAT_1);
  });

  it('hashes a format 1 run with its routing and state as format 1 held them', () => {
    const event = decodeEvent('run.started', FORMAT_1);
    const { state } = applyEvent(null, event);
    expect(state.format).toBe(1);
    const inFlight = state.inFlight!;
    const asHeld = {
      runId: state.runId,
      goal: state.goal,
      mission: state.mission,
      routing: {
        runtimeBackend: 'claude-code',
        defaultRuntime: null,
        stages: { interview: 'codex' },
        backendProfile: null,
      },
      retry: { maxRetries: 2, baseDelayMs: 20 },
      status: state.status,
      step: state.step,
      loops: state.loops,
      inFlight: {
        step: inFlight.step,
        stage: inFlight.stage,
        runtime: inFlight.runtime,
        source: inFlight.source,
        access: inFlight.access,
        attempt: inFlight.attempt,
        retries: inFlight.retries,
      },
      question: state.question,
      history: state.history,
      cause: state.cause,
      applied: state.applied,
    };
    expect(stateHash(state)).toBe(hashValue(asHeld));
    // A format 3 run hashes everything it holds.
    const current = applyEvent(null, started(CHAINED)).state;
    expect(stateHash(current)).toBe(hashValue(current));
  });

  it('refuses a malformed chain, naming the field', () => {
    interface WireRoute {
      source: string;
      chain: { model_source: string }[];
    }
    type WireStages = Record<string, WireRoute | string>;
    const payload = JSON.stringify(encodeEvent(started(CHAINED)));
    const broken = (change: (stages: WireStages, execute: WireRoute) => void) => {
      const copy = JSON.parse(payload) as { routing: { stages: WireStages } };
      change(copy.routing.stages, copy.routing.stages.execute as WireRoute);
      try {
        decodeEvent('run.started', copy);
      } catch (error) {
        expect(BatonError.isInstance(error) && error.code).toBe('RUN_STATE');
        return (error as Error).message;
      }
      throw new Error('expected a malformed payload');
    };
    expect(
      broken((_, execute) => {
        execute.chain = [];
      }),
    ).toBe('Journal event run.started is malformed: routing.stages.execute.chain is empty.');
    expect(
      broken((_, execute) => {
        execute.chain[1]!.model_source = 'guess';
      }),
    ).toBe(
      'Journal event run.started is malformed: routing.stages.execute.chain[1].model_source is not one of stage, default, runtime, harness.',
    );
    expect(
      broken((_, execute) => {
        execute.source = 'somewhere';
      }),
    ).toBe(
      'Journal event run.started is malformed: routing.stages.execute.source is not one of stage, default, fallback.',
    );
    expect(
      broken((stages, execute) => {
        stages.review = execute;
      }),
    ).toBe('Journal event run.started is malformed: routing.stages.review is not a stage.');
    expect(
      broken((stages) => {
        stages.interview = 'codex';
      }),
    ).toBe('Journal event run.started is malformed: routing.stages.interview is not an object.');
  });

  it('refuses to start a run whose routing has no chain for a stage of its mission', () => {
    const routing = routingFor({ runtimeBackend: 'codex' }, [{ kind: 'stage', stage: 'execute' }]);
    expect(() => applyEvent(null, started(routing))).toThrow(
      'Event run.started cannot be applied: the routing has no runtime for the interview stage.',
    );
    expect(
      applyEvent(null, started(routing, [{ kind: 'stage', stage: 'execute' }])).state.status,
    ).toBe('running');
  });
});
