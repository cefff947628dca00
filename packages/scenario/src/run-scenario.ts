/**
 * Runs one scenario: a fresh sandbox, a scripted model server answering its replies, the
 * user's routing with every runtime pointed at that server, the mission run through the
 * programmatic API, then its expectations checked against what the run left behind.
 */
import { dirname } from 'node:path';
import {
  type AdapterRegistry,
  type BatonConfig,
  type Environment,
  loadConfig,
  runtimesInUse,
} from '@baton/core';
import {
  type AskHuman,
  configError,
  type JournalEvent,
  type RunResult,
  runMission,
} from '@baton/run/api';
import { checkExpectations, type ExpectationOutcome } from './expectations.js';
import type { Scenario, ScenarioAnswer } from './load.js';
import { type Receipt, receiptOf } from './receipt.js';
import { pointAtServer } from './routing.js';
import { createSandbox, type Sandbox } from './sandbox.js';
import { type ReceivedRequest, startScenarioServer } from './scripted-server.js';
import { standInRegistry } from './stand-in/registry.js';

/** `real`: the harnesses installed; `fake`: stand-ins replaying their recorded output formats. */
export type RuntimeMode = 'real' | 'fake';

export interface ScenarioContext {
  /** The project's configuration (each scenario may name its own file instead). */
  readonly config: BatonConfig;
  readonly registry: AdapterRegistry;
  /** The caller's environment: PATH and locale are kept; credentials are not. */
  readonly env: Environment;
  readonly mode: RuntimeMode;
  /** Keep the sandbox of a passing scenario too (a failing one's is always kept). */
  readonly keep?: boolean;
  /**
   * The receipt hash the lock holds for this scenario: a run whose receipt differs fails the
   * suite, so its sandbox is kept like a failing one's. Absent: nothing to compare with.
   */
  readonly recordedReceipt?: string;
  readonly signal?: AbortSignal;
}

export interface ScenarioRun {
  readonly scenario: Scenario;
  readonly passed: boolean;
  readonly runId: string | null;
  readonly status: RunResult['status'] | null;
  /** What stopped the scenario before its expectations could be checked as usual. */
  readonly error: string | null;
  readonly durationMs: number;
  readonly expectations: readonly ExpectationOutcome[];
  readonly receipt: Receipt;
  /** The sandbox's workspace, when it was kept for inspection; its journal holds the run. */
  readonly workspace: string | null;
  readonly result: RunResult | null;
  readonly requests: readonly ReceivedRequest[];
}

export async function runScenario(
  scenario: Scenario,
  context: ScenarioContext,
): Promise<ScenarioRun> {
  const started = performance.now();
  let config: BatonConfig;
  let runtimes: string[];
  let sandbox: Sandbox;
  try {
    config = scenario.configFile === null ? context.config : loadScenarioConfig(scenario, context);
    runtimes = [...new Set([...context.registry.ids(), ...runtimesInUse(config).keys()])].sort();
    sandbox = createSandbox({ seed: scenario.seed, git: scenario.git, runtimes, env: context.env });
  } catch (caught) {
    return notRun(scenario, errorText(caught), started);
  }
  let result: RunResult | null = null;
  let error: string | null = null;
  let runId: string | null = null;
  const events: JournalEvent[] = [];
  let requests: ReceivedRequest[] = [];
  let server: Awaited<ReturnType<typeof startScenarioServer>>;
  try {
    server = await startScenarioServer(scenario.replies, sandbox.keys);
  } catch (caught) {
    sandbox.remove();
    return notRun(scenario, errorText(caught), started);
  }
  const timeout = new AbortController();
  const timer = setTimeout(
    () =>
      timeout.abort(`the scenario ran out of its time (${Math.round(scenario.timeoutMs / 1000)}s)`),
    scenario.timeoutMs,
  );
  try {
    const registry =
      context.mode === 'fake'
        ? await standInRegistry(context.registry, runtimes)
        : context.registry;
    const handle = runMission({
      goal: scenario.goal,
      mission: scenario.mission,
      cwd: sandbox.workspace,
      config: pointAtServer(config, {
        url: server.url,
        workspace: sandbox.workspace,
        keyVariables: sandbox.keyVariables,
      }),
      env: sandbox.env,
      registry,
      signal:
        context.signal === undefined
          ? timeout.signal
          : AbortSignal.any([timeout.signal, context.signal]),
      ask: answering(scenario.answers),
    });
    const collecting = (async () => {
      for await (const event of handle.events) events.push(event);
    })().catch(() => {
      // The same error rejects the result, where it is reported.
    });
    try {
      result = await handle.result;
    } catch (caught) {
      error = errorText(caught);
    }
    await collecting;
    runId = handle.runId;
  } catch (caught) {
    error = errorText(caught);
  } finally {
    clearTimeout(timer);
    requests = server.requests();
    await server.close();
  }
  const expectations = checkExpectations(scenario.expectations, {
    result,
    workspace: sandbox.workspace,
    events,
    requests,
  });
  const passed = error === null && expectations.every((outcome) => outcome.passed);
  const receipt = receiptOf(scenario, result, expectations);
  const receiptChanged =
    context.recordedReceipt !== undefined && context.recordedReceipt !== receipt.hash;
  const keep = !passed || receiptChanged || context.keep === true;
  if (!keep) sandbox.remove();
  return {
    scenario,
    passed,
    runId: result?.runId ?? runId,
    status: result?.status ?? null,
    error,
    durationMs: performance.now() - started,
    expectations,
    receipt,
    workspace: keep ? sandbox.workspace : null,
    result,
    requests,
  };
}

/** A scenario that could not start: its expectations are not checked, it fails with why. */
function notRun(scenario: Scenario, error: string, started: number): ScenarioRun {
  return {
    scenario,
    passed: false,
    runId: null,
    status: null,
    error,
    durationMs: performance.now() - started,
    expectations: [],
    receipt: receiptOf(scenario, null, []),
    workspace: null,
    result: null,
    requests: [],
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function loadScenarioConfig(scenario: Scenario, context: ScenarioContext): BatonConfig {
  const loaded = loadConfig({
    cwd: dirname(scenario.file),
    env: context.env,
    configFile: scenario.configFile!,
    registry: context.registry,
  });
  if (!loaded.ok) throw configError(loaded.issues, loaded.files, loaded.omitted);
  return loaded.config;
}

/** Answers the run's human steps with the scenario's answers, in order; then leaves it waiting. */
function answering(answers: readonly ScenarioAnswer[]): AskHuman {
  const queue = [...answers];
  return async () => {
    const next = queue.shift();
    return next ?? null;
  };
}
