/**
 * The policy over generated runs: chains of one to four runtimes (some failing their checks
 * before the run), small retry bounds, budgets, loops, and attempts that end in every way an
 * attempt can — success, each failure class with or without a stated delay, a native cap, an
 * unknown session, an interrupt — with resumes between. Whatever happens:
 * - the run never loops unbounded: between two resumes it stops within a bound computed from
 *   the chains, the retry settings and the loops;
 * - never two attempts of one stage at once: each dispatch waits for the end of the one
 *   before, and attempt numbers of a step are never reused;
 * - a run that stops says why;
 * - replaying its journal's events gives the same state.
 */
import { FAILURE_CLASSES, type FailureClass, type Stage } from '@baton/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ended, started, usage, viaJournal } from '../test-support/engine.js';
import { applyEvent, replayEvents } from './reducer.js';
import { stateHash } from './state-hash.js';
import type { Directive, EngineEvent, RunState } from './types.js';

const RUNTIMES = ['codex', 'claude-code', 'opencode', 'hermes'] as const;
const STAGES: readonly Stage[] = ['interview', 'execute', 'evaluate', 'reflect'];

type Outcome =
  | { kind: 'success'; verdict: 'pass' | 'fail'; cost: number }
  | { kind: 'failure'; failureClass: FailureClass; retryAfterMs: number | null; cost: number }
  | { kind: 'limit'; limit: 'cost' | 'turns' }
  | { kind: 'session-lost' }
  | { kind: 'interrupt'; announce: boolean };

const failure: fc.Arbitrary<Outcome> = fc.record({
  kind: fc.constant('failure' as const),
  failureClass: fc.constantFrom(...FAILURE_CLASSES),
  retryAfterMs: fc.option(fc.integer({ min: 0, max: 10_000_000 }), { nil: null }),
  cost: fc.constantFrom(0, 0.05),
});

const outcome: fc.Arbitrary<Outcome> = fc.oneof(
  { arbitrary: failure, weight: 4 },
  fc.record({
    kind: fc.constant('success' as const),
    verdict: fc.constantFrom('pass' as const, 'fail' as const),
    cost: fc.constantFrom(0, 0.01, 0.2),
  }),
  fc.record({
    kind: fc.constant('limit' as const),
    limit: fc.constantFrom('cost' as const, 'turns' as const),
  }),
  fc.record({ kind: fc.constant('session-lost' as const) }),
  fc.record({ kind: fc.constant('interrupt' as const), announce: fc.boolean() }),
);

/** Attempts that end in any way, or (half the time) that only ever fail: the run must stop anyway. */
const outcomes = fc.oneof(
  fc.array(outcome, { minLength: 1, maxLength: 40 }),
  fc.array(failure, { minLength: 1, maxLength: 8 }),
);

const scenario = fc.record({
  steps: fc.array(fc.constantFrom(...STAGES), { minLength: 1, maxLength: 4 }),
  chains: fc.record(
    Object.fromEntries(
      STAGES.map((stage) => [
        stage,
        fc.uniqueArray(fc.constantFrom(...RUNTIMES), { minLength: 1, maxLength: 4 }),
      ]),
    ) as Record<Stage, fc.Arbitrary<string[]>>,
  ),
  unhealthy: fc.subarray([...RUNTIMES], { maxLength: 2 }),
  maxLoops: fc.integer({ min: 0, max: 2 }),
  maxRetries: fc.integer({ min: 0, max: 3 }),
  rateLimitRetries: fc.integer({ min: 0, max: 3 }),
  maxCostUsd: fc.option(fc.constantFrom(0.1, 0.5, 2), { nil: null }),
  outcomes,
  resumes: fc.array(fc.record({ raise: fc.boolean(), fromEarlier: fc.boolean() }), {
    maxLength: 4,
  }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** Dispatches at most between two resumes: every stage visit spends its chain, plus one restart. */
function bound(s: Scenario): number {
  const longest = Math.max(...s.steps.map((stage) => s.chains[stage].length));
  const perVisit = longest * (1 + s.maxRetries + s.rateLimitRetries) + 1;
  return s.steps.length * (s.maxLoops + 1) * perVisit;
}

describe('the failure policy, over generated runs', () => {
  it('is bounded, runs one attempt of a stage at a time, says why it stopped, and replays', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const steps = s.steps.map((stage) => ({ kind: 'stage' as const, stage }));
        const event = started({
          steps,
          routing: { runtimeBackend: 'codex', stages: s.chains },
          maxLoops: s.maxLoops,
          retry: {
            maxRetries: s.maxRetries,
            rateLimitRetries: s.rateLimitRetries,
            baseDelayMs: 10,
          },
          budget: { maxCostUsd: s.maxCostUsd, maxTokens: null },
          unhealthy: Object.fromEntries(
            s.unhealthy.map((runtime) => [runtime, 'failed its checks']),
          ),
        });
        const events: EngineEvent[] = [];
        let state: RunState | null = null;
        let pending: Extract<Directive, { kind: 'dispatch' }> | null = null;
        const used = new Map<string, number>();
        let segmentDispatches = 0;
        let next = 0;

        const apply = (raw: EngineEvent) => {
          const wired = viaJournal(raw);
          const transition = applyEvent(state, wired);
          events.push(wired);
          state = transition.state;
          const dispatches = transition.directives.filter(
            (directive): directive is Extract<Directive, { kind: 'dispatch' }> =>
              directive.kind === 'dispatch',
          );
          // One attempt at a time: a new dispatch only once the one before has ended.
          expect(dispatches.length).toBeLessThanOrEqual(1);
          const dispatch = dispatches[0];
          if (dispatch !== undefined) {
            expect(pending).toBeNull();
            const key = `${dispatch.step}/${dispatch.loop}`;
            expect(dispatch.attempt).toBeGreaterThan(used.get(key) ?? 0);
            used.set(key, dispatch.attempt);
            expect(state.inFlight).toMatchObject({
              step: dispatch.step,
              attempt: dispatch.attempt,
            });
            expect(state.status).toBe('running');
            pending = dispatch;
            segmentDispatches += 1;
            expect(segmentDispatches).toBeLessThanOrEqual(bound(s));
          }
          if (state.status !== 'running') {
            pending = null;
            if (state.status !== 'succeeded') {
              expect(typeof state.cause).toBe('string');
              expect(state.cause!.length).toBeGreaterThan(0);
            }
          }
        };

        apply(event);
        let resumes = 0;
        // Each attempt ends by the next generated outcome, cycling: the engine must stop by itself.
        for (let guard = 0; guard < 10_000; guard++) {
          const current: RunState = state!;
          if (current.status === 'running' && pending !== null) {
            const attempt: Extract<Directive, { kind: 'dispatch' }> = pending;
            const drawn = s.outcomes[next++ % s.outcomes.length]!;
            pending = null;
            if (drawn.kind === 'interrupt') {
              if (drawn.announce) {
                apply({
                  type: 'stage.session',
                  step: attempt.step,
                  stage: attempt.stage,
                  attempt: attempt.attempt,
                  runtime: attempt.runtime,
                  sessionId: `s-${attempt.attempt}`,
                });
              }
              apply({ type: 'run.interrupted', cause: 'interrupted', usage: usage(5, 5, 0.01) });
            } else if (drawn.kind === 'success') {
              apply(ended(current, { verdict: drawn.verdict, usage: usage(10, 10, drawn.cost) }));
            } else if (drawn.kind === 'failure') {
              apply(
                ended(current, {
                  failureClass: drawn.failureClass,
                  retryAfterMs: drawn.retryAfterMs,
                  usage: usage(10, 0, drawn.cost),
                }),
              );
            } else if (drawn.kind === 'limit') {
              apply(ended(current, { failureClass: 'task', limitReached: drawn.limit }));
            } else {
              apply(ended(current, { failureClass: 'task', sessionNotFound: true }));
            }
            continue;
          }
          if (current.status === 'succeeded' || current.status === 'rejected') break;
          // Stopped (failed, interrupted, out of budget): resume while the scenario says so.
          const resume = s.resumes[resumes++];
          if (resume === undefined) break;
          segmentDispatches = 0;
          const earlier = current.mission.steps.findIndex((step) => step.kind === 'stage');
          apply({
            type: 'run.resumed',
            ...(resume.fromEarlier && current.status !== 'interrupted'
              ? { fromStep: earlier }
              : {}),
            ...(resume.raise
              ? { budget: { maxCostUsd: (current.budget.maxCostUsd ?? 0) + 10, maxTokens: null } }
              : {}),
          });
        }
        const final: RunState = state!;
        expect(final.status).not.toBe('running');
        const replay = replayEvents(events);
        expect(stateHash(replay.state!)).toBe(stateHash(final));
      }),
      { numRuns: 400 },
    );
  });
});
