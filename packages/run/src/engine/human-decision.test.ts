/**
 * A human step's decision: approve goes on; reject sends the work back to the stage before
 * the question when the mission has a loop left, else ends the run `rejected`. Answers
 * journaled before decisions existed replay exactly as they did (as approvals).
 */
import type { MissionStep } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { composePrompt } from '../prompt.js';
import { routingFor } from '../test-support/routing.js';
import { applyEvent, replayEvents } from './reducer.js';
import type { EngineEvent, RunState } from './types.js';
import { decodeEvent, encodeDirective, encodeEvent } from './wire.js';

const REVIEWED: MissionStep[] = [
  { kind: 'stage', stage: 'interview' },
  { kind: 'human', question: 'Approve the spec?' },
  { kind: 'stage', stage: 'execute' },
];

function started(steps: readonly MissionStep[], maxLoops: number): EngineEvent {
  return {
    type: 'run.started',
    runId: 'run-h',
    goal: 'Write the spec',
    mission: { name: 'reviewed', steps, maxLoops },
    routing: routingFor({ runtimeBackend: 'codex' }, steps),
    retry: { maxRetries: 0, baseDelayMs: 0, maxDelayMs: 60_000, rateLimitRetries: 3 },
  };
}

function ended(state: RunState, finalText: string): EngineEvent {
  const inFlight = state.inFlight!;
  return {
    type: 'stage.ended',
    step: inFlight.step,
    stage: inFlight.stage,
    attempt: inFlight.attempt,
    runtime: inFlight.runtime,
    status: 'succeeded',
    finalText,
    sessionId: null,
    error: null,
    verdict: null,
  };
}

/** The state waiting at the question, after the interview wrote `spec`. */
function waiting(maxLoops: number, steps: readonly MissionStep[] = REVIEWED): RunState {
  const state = applyEvent(null, started(steps, maxLoops)).state;
  return applyEvent(state, ended(state, 'Spec: one line.')).state;
}

/** Every event through the wire and back, as the driver and replay feed the engine. */
function viaJournal(event: EngineEvent): EngineEvent {
  return decodeEvent(event.type, JSON.parse(JSON.stringify(encodeEvent(event))));
}

describe('human decisions', () => {
  it('approve goes on to the next step with the input', () => {
    const answered = applyEvent(
      waiting(1),
      viaJournal({ type: 'human.answered', step: 1, decision: 'approve', answer: 'Keep it small' }),
    );
    expect(answered.state.status).toBe('running');
    expect(answered.directives).toMatchObject([{ kind: 'dispatch', step: 2, stage: 'execute' }]);
    expect(answered.state.loops).toBe(0);
    expect(answered.state.history.at(-1)).toEqual({
      kind: 'human',
      step: 1,
      question: 'Approve the spec?',
      answer: 'Keep it small',
      decision: 'approve',
    });
  });

  it('reject with a loop left sends the stage before back to work, with the reason in its prompt', () => {
    const rejected = applyEvent(
      waiting(1),
      viaJournal({
        type: 'human.answered',
        step: 1,
        decision: 'reject',
        answer: 'add a second line',
      }),
    );
    expect(rejected.state.status).toBe('running');
    expect(rejected.state.loops).toBe(1);
    expect(rejected.directives).toMatchObject([
      {
        kind: 'dispatch',
        reason: 'first',
        step: 0,
        stage: 'interview',
        runtime: 'codex',
        source: 'fallback',
        access: 'read-only',
        attempt: 1,
        loop: 1,
        backoffMs: 0,
      },
    ]);
    const prompt = composePrompt(rejected.state, 'interview', 0);
    expect(prompt).toContain(
      'This is loop 1 of at most 1: a human rejected the result asked about at step 2 ("Approve the spec?"); ' +
        "the reason given: add a second line. Do this step's work again and address it.",
    );
    expect(prompt).toContain(
      '--- human step 2: Approve the spec? (rejected) ---\nadd a second line',
    );
    expect(prompt).toContain('--- interview (step 1, ran on codex) ---\nSpec: one line.');

    // The redone result is asked about again; a second rejection has no loop left.
    const redone = applyEvent(rejected.state, ended(rejected.state, 'Spec: two lines.'));
    expect(redone.directives).toEqual([
      { kind: 'ask_human', step: 1, question: 'Approve the spec?' },
    ]);
    const final = applyEvent(
      redone.state,
      viaJournal({ type: 'human.answered', step: 1, decision: 'reject', answer: 'still wrong' }),
    );
    expect(final.state).toMatchObject({
      status: 'rejected',
      inFlight: null,
      cause: 'rejected at step 2 (Approve the spec?): still wrong (no loop left: 1 of 1 used)',
    });
    expect(final.directives).toEqual([{ kind: 'reject', step: 1, cause: final.state.cause }]);
    expect(encodeDirective(final.directives[0]!)).toEqual({
      directive: 'reject',
      stage: null,
      step: 1,
      extra: { cause: final.state.cause },
    });
    expect(() =>
      applyEvent(final.state, { type: 'human.answered', step: 1, answer: 'yes' }),
    ).toThrow(/not waiting/);
  });

  it('reject ends the run rejected when the mission allows no loop, or no stage came before', () => {
    const noLoops = applyEvent(
      waiting(0),
      viaJournal({ type: 'human.answered', step: 1, decision: 'reject', answer: '' }),
    );
    expect(noLoops.state.status).toBe('rejected');
    expect(noLoops.state.cause).toBe('rejected at step 2 (Approve the spec?)');

    const first: MissionStep[] = [
      { kind: 'human', question: 'Start?' },
      { kind: 'stage', stage: 'execute' },
    ];
    const asking = applyEvent(null, started(first, 2)).state;
    const rejected = applyEvent(asking, {
      type: 'human.answered',
      step: 0,
      decision: 'reject',
      answer: 'not now',
    });
    expect(rejected.state).toMatchObject({ status: 'rejected', loops: 0 });
    expect(rejected.state.cause).toBe('rejected at step 1 (Start?): not now');
  });

  it('reads an answer journaled before decisions existed as an approval, and replays it exactly', () => {
    const old = { step: 1, answer: 'Approved: keep it small' };
    const decoded = decodeEvent('human.answered', old);
    expect(decoded).toEqual({ type: 'human.answered', step: 1, answer: 'Approved: keep it small' });
    // Encoded again, it is the payload an older Baton wrote: no decision key appears.
    expect(encodeEvent(decoded)).toEqual(old);

    const events: EngineEvent[] = [started(REVIEWED, 1)];
    let state = applyEvent(null, events[0]!).state;
    events.push(ended(state, 'Spec: one line.'));
    state = applyEvent(state, events[1]!).state;
    events.push(decoded);
    const replayed = replayEvents(events);
    expect(replayed.state!.status).toBe('running');
    expect(replayed.state!.inFlight).toMatchObject({ step: 2, stage: 'execute' });
    expect(replayed.state!.history.at(-1)).toEqual({
      kind: 'human',
      step: 1,
      question: 'Approve the spec?',
      answer: 'Approved: keep it small',
    });
    // The state (and so its hash) is the one the older engine computed: no decision in it.
    expect(JSON.stringify(replayed.state)).not.toContain('decision');
    expect(composePrompt(replayed.state!, 'execute', 2)).toContain(
      '--- human step 2: Approve the spec? ---\nApproved: keep it small',
    );
  });

  it('refuses a decision that is neither approve nor reject', () => {
    expect(() =>
      decodeEvent('human.answered', { step: 1, answer: 'x', decision: 'maybe' }),
    ).toThrow(/decision is not one of approve, reject/);
  });
});
