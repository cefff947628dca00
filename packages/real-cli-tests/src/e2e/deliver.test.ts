/**
 * `baton run` end to end: the built CLI runs the `deliver` mission with each stage on a
 * different runtime — interview on the real pinned Codex, execute on the real OpenCode,
 * evaluate on the real Claude Code, reflect through the LiteLLM adapter's client — all
 * talking to the scripted model server (which also plays the LiteLLM proxy). The journal,
 * the server's request log and the workspace are then checked against each other.
 */
import type { Stage } from '@baton/core';
import { type ModelServer, startModelServer } from '@baton/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REAL_CLIS } from '../binaries.js';
import {
  type ContractJson,
  createPipeline,
  GOAL,
  instructionTexts,
  type JournalEvent,
  KEY,
  MODELS,
  type Pipeline,
  pinnedVersion,
  REQUESTS_PER_STAGE,
  type Routing,
  type RuntimeId,
  readContract,
  readEvents,
  readWorkspaceFile,
  requestsFrom,
  STAGE_ORDER,
  scriptStages,
  sha256,
  TURN_USAGE,
  toolResults,
  WIRE_APIS,
  WRITTEN_FILE,
  WRITTEN_LINE,
} from './support.js';

const ROUTING: Routing = {
  interview: 'codex',
  execute: 'opencode',
  evaluate: 'claude-code',
  reflect: 'litellm',
};

const RUN_TIMEOUT_MS = 100_000;

let server: ModelServer;
let pipeline: Pipeline;

beforeEach(async () => {
  // The key is required: a runtime that did not send it would get 401 and fail its stage.
  server = await startModelServer({ apiKey: KEY, models: Object.values(MODELS) });
  pipeline = createPipeline(server.url, ROUTING);
});

afterEach(async () => {
  await server.close();
  pipeline.remove();
});

interface RunJson {
  runId: string;
  status: string;
  cause: string | null;
  stages: Array<{ stage: string; runtime: string; status: string; durationMs: number }>;
}

async function runDeliver(): Promise<{ exitCode: number | null; json: RunJson; stderr: string }> {
  const result = await pipeline.baton(['run', GOAL, '--json'], RUN_TIMEOUT_MS);
  expect(result.timedOut, `baton run timed out; stderr:\n${result.stderr}`).toBe(false);
  let json: RunJson;
  try {
    json = JSON.parse(result.stdout) as RunJson;
  } catch {
    throw new Error(`baton run --json printed no JSON:\n${result.stdout}\n${result.stderr}`);
  }
  return { exitCode: result.exitCode, json, stderr: result.stderr };
}

const ofType = (events: readonly JournalEvent[], type: string) =>
  events.filter((event) => event.type === type);

const dispatches = (events: readonly JournalEvent[]) =>
  ofType(events, 'control.directive.emitted')
    .filter((event) => event.payload.directive === 'dispatch')
    .map((event) => ({
      stage: event.payload.stage,
      runtime: event.payload.extra.runtime_id,
      attempt: event.payload.extra.attempt,
      backoffMs: event.payload.extra.backoff_ms,
    }));

/** The model requests whose instruction channel carries this contract, byte for byte. */
const carrying = (contract: ContractJson) =>
  server.requests.filter((request) =>
    instructionTexts(request).some((text) => text.includes(contract.text)),
  );

describe('baton run, the deliver mission on real CLIs against the scripted server', () => {
  it('runs each stage on its runtime, delivers each contract at the wire, writes the file and reads the verdict', async () => {
    scriptStages(server);
    const run = await runDeliver();
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.json.status).toBe('succeeded');
    expect(run.json.cause).toBeNull();
    expect(
      run.json.stages.map(({ stage, runtime, status }) => ({ stage, runtime, status })),
    ).toEqual(
      STAGE_ORDER.map((stage) => ({ stage, runtime: ROUTING[stage], status: 'succeeded' })),
    );

    const events = await readEvents(pipeline, run.json.runId);

    // The pinned real CLIs were the ones resolved, at their pinned versions.
    const resolved = Object.fromEntries(
      ofType(events, 'runtime.resolved').map((event) => [
        event.payload.runtime_id,
        [event.payload.path, event.payload.version],
      ]),
    );
    const pinned: Record<RuntimeId, [string | null, string]> = {
      codex: [REAL_CLIS.codex, pinnedVersion('@openai/codex')],
      'claude-code': [REAL_CLIS.claude, pinnedVersion('@anthropic-ai/claude-code')],
      opencode: [REAL_CLIS.opencode, pinnedVersion('opencode-ai')],
      // The scripted server's /health/readiness answer, as the LiteLLM adapter reads it.
      litellm: [null, '1.80.0'],
    };
    expect(resolved).toEqual(
      Object.fromEntries([...new Set(Object.values(ROUTING))].map((id) => [id, pinned[id]])),
    );
    // The gateway key went to the runtimes through the environment, never into the journal.
    expect(JSON.stringify(events)).not.toContain(KEY);

    // Which harness ran which stage: the engine's directive and the process record agree.
    expect(dispatches(events)).toEqual(
      STAGE_ORDER.map((stage) => ({ stage, runtime: ROUTING[stage], attempt: 1, backoffMs: 0 })),
    );
    const started = ofType(events, 'agent.process.started');
    expect(started.map((event) => [event.payload.stage, event.payload.runtime_id])).toEqual(
      STAGE_ORDER.map((stage) => [stage, ROUTING[stage]]),
    );
    const exited = ofType(events, 'agent.process.exited');
    expect(
      exited.map((event) => [
        event.payload.stage,
        event.payload.runtime_id,
        event.payload.status,
        event.payload.exit_code,
      ]),
    ).toEqual(STAGE_ORDER.map((stage) => [stage, ROUTING[stage], 'succeeded', 0]));
    // Every scripted answer reports the same usage; a stage's total is the sum over its requests.
    expect(exited.map((event) => [event.payload.stage, event.payload.usage.total_tokens])).toEqual(
      STAGE_ORDER.map((stage) => [
        stage,
        REQUESTS_PER_STAGE[stage] * (TURN_USAGE.inputTokens + TURN_USAGE.outputTokens),
      ]),
    );

    // Every model request was answered; the server requires the key, so each runtime sent it.
    const modelRequests = server.requests.filter((request) => request.api !== null);
    expect(modelRequests.map((request) => request.status)).toEqual(modelRequests.map(() => 200));

    // Each stage's contract: what `baton contract` renders is what the journal hashed and
    // what that stage's runtime put on the wire, in its instruction channel.
    const contracts: Partial<Record<Stage, ContractJson>> = {};
    for (const stage of STAGE_ORDER) contracts[stage] = await readContract(pipeline, stage);
    const delivered = new Set<number>();
    for (const stage of STAGE_ORDER) {
      const contract = contracts[stage]!;
      const runtime = ROUTING[stage];
      expect(contract.runtime).toBe(runtime);
      expect(
        contract.text.startsWith(`Baton role contract v1 — ${contract.role} (stage: ${stage})`),
      ).toBe(true);
      expect(sha256(contract.text)).toBe(contract.sha256);
      const journaled = started.find((event) => event.payload.stage === stage)!;
      expect(journaled.payload.contract_sha256, `${stage}: journaled contract hash`).toBe(
        contract.sha256,
      );
      const onWire = carrying(contract);
      expect(
        onWire.map((request) => [request.api, request.model]),
        `${stage}: requests carrying its contract`,
      ).toEqual(
        Array.from({ length: REQUESTS_PER_STAGE[stage] }, () => [
          WIRE_APIS[runtime],
          MODELS[runtime],
        ]),
      );
      for (const request of onWire) delivered.add(request.seq);
    }
    // No model request went out without its stage's contract.
    expect(
      modelRequests.filter((request) => !delivered.has(request.seq)).map((r) => r.text),
    ).toEqual([]);
    // The LiteLLM channel is the system message, exactly the contract.
    const [reflectRequest] = requestsFrom(server, 'litellm');
    expect((reflectRequest!.body as { messages: unknown[] }).messages[0]).toEqual({
      role: 'system',
      content: contracts.reflect!.text,
    });

    // The execute stage's tool call really ran in the workspace…
    expect(readWorkspaceFile(pipeline, WRITTEN_FILE)).toBe(`${WRITTEN_LINE}\n`);
    // …and the evaluate stage's (read-only) tool call read it back to the model.
    const evaluateRequests = carrying(contracts.evaluate!);
    expect(evaluateRequests.map(toolResults)).toEqual([
      [],
      [expect.stringContaining(WRITTEN_LINE)],
    ]);

    expect(ofType(events, 'verdict.recorded').map((event) => event.payload)).toEqual([
      { stage: 'evaluate', step: 2, attempt: 1, loop: 0, outcome: 'pass', reason: null },
    ]);
    const [ended] = ofType(events, 'run.ended');
    expect([ended!.payload.status, ended!.payload.cause]).toEqual(['succeeded', null]);
  }, 150_000);

  it('ends failed, with the cause, when the evaluate stage gets HTTP 500 on every attempt', async () => {
    scriptStages(server, {
      evaluate: [{ error: { status: 500, message: 'scripted evaluate outage' } }],
    });
    const run = await runDeliver();
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.json.status).toBe('failed');
    expect(
      run.json.stages.map(({ stage, runtime, status }) => ({ stage, runtime, status })),
    ).toEqual([
      { stage: 'interview', runtime: 'codex', status: 'succeeded' },
      { stage: 'execute', runtime: ROUTING.execute, status: 'succeeded' },
      { stage: 'evaluate', runtime: 'claude-code', status: 'failed' },
      { stage: 'evaluate', runtime: 'claude-code', status: 'failed' },
      { stage: 'evaluate', runtime: 'claude-code', status: 'failed' },
    ]);

    const events = await readEvents(pipeline, run.json.runId);
    // Baton's own bounded retry: two more attempts, after 2 s and 4 s; reflect never starts.
    expect(dispatches(events)).toEqual([
      { stage: 'interview', runtime: 'codex', attempt: 1, backoffMs: 0 },
      { stage: 'execute', runtime: ROUTING.execute, attempt: 1, backoffMs: 0 },
      { stage: 'evaluate', runtime: 'claude-code', attempt: 1, backoffMs: 0 },
      { stage: 'evaluate', runtime: 'claude-code', attempt: 2, backoffMs: 2000 },
      { stage: 'evaluate', runtime: 'claude-code', attempt: 3, backoffMs: 4000 },
    ]);
    const failures = ofType(events, 'agent.process.exited').filter(
      (event) => event.payload.stage === 'evaluate',
    );
    expect(
      failures.map((event) => [
        event.payload.attempt,
        event.payload.status,
        event.payload.error_kind,
        event.payload.retryable,
      ]),
    ).toEqual([
      [1, 'failed', 'server', true],
      [2, 'failed', 'server', true],
      [3, 'failed', 'server', true],
    ]);
    for (const failure of failures) {
      expect(failure.payload.error).toMatch(/^API Error: 500 scripted evaluate outage\b/);
    }
    const [ended] = ofType(events, 'run.ended');
    expect(ended!.payload.status).toBe('failed');
    expect(ended!.payload.cause).toMatch(
      /^evaluate failed on claude-code \(transient, 3 attempts\): API Error: 500 scripted evaluate outage\b/,
    );
    expect(run.json.cause).toBe(ended!.payload.cause);
    expect(ofType(events, 'verdict.recorded')).toEqual([]);

    // Bounded at the wire too: Claude Code retries a 500 twice itself (the adapter sets
    // CLAUDE_CODE_MAX_RETRIES=2), so 3 attempts × 3 requests, every one answered 500.
    const contract = await readContract(pipeline, 'evaluate');
    const evaluateRequests = carrying(contract);
    expect(evaluateRequests.map((request) => [request.model, request.status])).toEqual(
      Array.from({ length: 9 }, () => [MODELS['claude-code'], 500]),
    );
    expect(carrying(await readContract(pipeline, 'reflect'))).toEqual([]);
    expect(requestsFrom(server, 'litellm')).toEqual([]);
  }, 150_000);
});
