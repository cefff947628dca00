/**
 * The conformance suite every adapter runs, first-party and third-party alike. It is
 * framework-neutral: each case is a name and a function that throws on failure, so it
 * plugs into vitest, node:test or jest with one loop:
 *
 *   for (const check of adapterConformanceCases(adapter)) it(check.name, check.run);
 */
import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict';
import { ACCESS_LEVELS } from '../access.js';
import type {
  ProcessExit,
  RuntimeAdapter,
  StageOutcome,
  StageRequest,
} from '../adapter/v2/spec.js';
import { FAILURE_CLASSES, SPECIFICATION_VERSION } from '../adapter/v2/spec.js';
import { checkAdapterShape } from '../registry.js';
import { FIRST_PARTY_RUNTIMES } from '../runtime-catalogue.js';
import { STAGES } from '../stage.js';

export interface ConformanceSample {
  readonly name: string;
  /** stdout lines as the runtime printed them. */
  readonly lines: readonly string[];
  readonly exit: ProcessExit;
  readonly expect: {
    readonly status: StageOutcome['status'];
    readonly finalText?: string | null;
    readonly sessionId?: string | null;
    /** For a failed sample: the failure class the decoder must give it. */
    readonly failureClass?: (typeof FAILURE_CLASSES)[number];
  };
}

export interface ConformanceOptions {
  /** The adapter package's package.json; its `baton.adapter` manifest must equal the identity. */
  readonly packageJson?: { readonly baton?: { readonly adapter?: unknown } };
  /** Real output the decoder must turn into the expected outcome. */
  readonly samples?: readonly ConformanceSample[];
  /** Settings to build commands with (e.g. a `baseUrl` for runtimes that need one). */
  readonly settings?: StageRequest['settings'];
}

export interface ConformanceCase {
  readonly name: string;
  run(): void | Promise<void>;
}

/** A request with every field filled, for building commands in the checks. */
export function sampleRequest(overrides: Partial<StageRequest> = {}): StageRequest {
  return {
    stage: 'execute',
    prompt: 'Add a README that says hello.',
    contract: 'You are the Builder. Keep evidence.',
    cwd: '/workspace/project',
    access: 'workspace-write',
    profile: null,
    settings: {},
    scratchDir: '/workspace/.baton/scratch/run-1/execute-1',
    env: { PATH: '/usr/bin:/bin', HOME: '/home/user' },
    ...overrides,
  };
}

const CLEAN_EXIT: ProcessExit = { exitCode: 0, signal: null, stderrTail: '', resultFiles: {} };

export function adapterConformanceCases(
  adapter: RuntimeAdapter,
  options: ConformanceOptions = {},
): ConformanceCase[] {
  const settings = options.settings ?? {};
  const request = (overrides: Partial<StageRequest> = {}) =>
    sampleRequest({ settings, ...overrides });
  const id = adapter.identity.id;
  const cases: ConformanceCase[] = [
    {
      name: `${id}: has the shape of a ${SPECIFICATION_VERSION} adapter`,
      run() {
        const problem = checkAdapterShape(adapter, id);
        ok(problem === undefined, problem?.message);
      },
    },
    {
      name: `${id}: builds the same command for the same request (pure)`,
      run() {
        for (const stage of STAGES) {
          for (const access of ACCESS_LEVELS) {
            const first = adapter.buildCommand(request({ stage, access }));
            const second = adapter.buildCommand(request({ stage, access }));
            deepStrictEqual(first, second);
          }
        }
      },
    },
    {
      name: `${id}: commands are argument arrays of strings, with a working directory`,
      run() {
        const command = adapter.buildCommand(request());
        ok(
          typeof command.file === 'string' && command.file !== '',
          'file must be a non-empty string',
        );
        ok(Array.isArray(command.args), 'args must be an array');
        for (const arg of command.args) strictEqual(typeof arg, 'string');
        ok(
          !['sh', 'bash', '/bin/sh', '/bin/bash'].includes(command.file),
          'commands never go through a shell',
        );
        strictEqual(command.cwd, '/workspace/project');
        for (const [key, value] of Object.entries(command.env)) {
          strictEqual(typeof value, 'string', `env ${key} must be a string`);
        }
      },
    },
    {
      name: `${id}: a long prompt never travels in argv`,
      run() {
        const prompt = `Goal: ${'x'.repeat(300_000)}`;
        const command = adapter.buildCommand(request({ prompt }));
        const argvBytes = command.args.reduce((total, arg) => total + arg.length, 0);
        ok(
          argvBytes < 100_000,
          `argv carries ${argvBytes} characters; the prompt belongs on stdin or in a file`,
        );
        const delivered = [command.stdin ?? '', ...Object.values(command.inputFiles ?? {})].join(
          '\n',
        );
        ok(
          delivered.includes(prompt),
          'the prompt must reach the runtime through stdin or an input file',
        );
      },
    },
    {
      name: `${id}: input files stay inside the stage's scratch directory`,
      run() {
        const scratch = '/workspace/.baton/scratch/run-1/execute-1';
        const command = adapter.buildCommand(request({ profile: 'worker' }));
        for (const path of Object.keys(command.inputFiles ?? {})) {
          ok(path.startsWith(`${scratch}/`), `${path} is outside ${scratch}`);
        }
      },
    },
    {
      name: `${id}: exactly one profile selector with a backend profile, none without`,
      run() {
        const native = adapter.profile.nativeName('worker');
        ok(native.length > 0, 'nativeName must not be empty');
        const occurrences = (profile: string | null) => {
          // The selector is an argument, or (for HTTP runtimes) a field of the request on stdin.
          const command = adapter.buildCommand(request({ profile }));
          const inStdin = (command.stdin ?? '').split(native).length - 1;
          return command.args.filter((arg) => arg.includes(native)).length + inStdin;
        };
        strictEqual(occurrences(null), 0, `no argument may name ${native} without a profile`);
        strictEqual(
          occurrences('worker'),
          1,
          `exactly one argument (or request field) must select ${native}`,
        );
      },
    },
    {
      name: `${id}: the profile changes nothing but the selector`,
      run() {
        const without = adapter.buildCommand(request({ profile: null }));
        const again = adapter.buildCommand(request({ profile: null }));
        deepStrictEqual(without, again);
        const native = adapter.profile.nativeName('worker');
        const withProfile = adapter.buildCommand(request({ profile: 'worker' }));
        const stripped = withProfile.args.filter((arg) => !arg.includes(native));
        ok(
          stripped.length >= without.args.length - 1,
          'a backend profile must not remove other arguments from the command',
        );
      },
    },
    {
      name: `${id}: doctor checks have unique ids and known dependencies`,
      run() {
        const checks = adapter.doctorChecks();
        const ids = checks.map((check) => check.id);
        strictEqual(new Set(ids).size, ids.length, `duplicate check ids: ${ids.join(', ')}`);
        for (const check of checks) {
          for (const dependency of check.dependsOn ?? []) {
            ok(ids.includes(dependency), `${check.id} depends on unknown check ${dependency}`);
          }
        }
        ok(
          checks.some((check) => check.probe === true),
          'an adapter offers a probe check for doctor --probe',
        );
        ok(
          checks.some((check) => check.probe !== true),
          'an adapter offers cheap checks',
        );
      },
    },
    {
      name: `${id}: the decoder skips unknown and malformed lines without failing`,
      run() {
        const decoder = adapter.createDecoder(request());
        for (const line of [
          '{"type":"from-the-future","x":1}',
          'not json at all {',
          '',
          'x'.repeat(2_000_000),
        ]) {
          const events = decoder.push(line);
          ok(Array.isArray(events), 'push returns an array');
          ok(
            !events.some((event) => event.type === 'error' && event.fatal),
            'an odd line is not a fatal error',
          );
        }
      },
    },
    {
      name: `${id}: a crash with no output is a failed stage`,
      run() {
        const decoder = adapter.createDecoder(request());
        const outcome = decoder.finish({
          ...CLEAN_EXIT,
          exitCode: 1,
          stderrTail: 'segmentation fault',
        });
        strictEqual(outcome.status, 'failed');
        ok(outcome.error !== null, 'a failed outcome carries an error');
        checkFailure(outcome);
      },
    },
    {
      name: `${id}: a kill by signal is a failed stage`,
      run() {
        const decoder = adapter.createDecoder(request());
        const outcome = decoder.finish({ ...CLEAN_EXIT, exitCode: null, signal: 'SIGKILL' });
        strictEqual(outcome.status, 'failed');
      },
    },
  ];

  const known = FIRST_PARTY_RUNTIMES.find((runtime) => runtime.id === id);
  if (known) {
    cases.push({
      name: `${id}: identity agrees with the first-party catalogue`,
      run() {
        deepStrictEqual([...adapter.identity.aliases].sort(), [...known.aliases].sort());
      },
    });
  }

  if (options.packageJson) {
    const packageJson = options.packageJson;
    cases.push({
      name: `${id}: package.json manifest equals the identity`,
      run() {
        deepStrictEqual(packageJson.baton?.adapter, {
          specificationVersion: adapter.specificationVersion,
          ...adapter.identity,
        });
      },
    });
  }

  for (const sample of options.samples ?? []) {
    cases.push({
      name: `${id}: decodes sample "${sample.name}"`,
      run() {
        const decoder = adapter.createDecoder(request());
        for (const line of sample.lines) decoder.push(line);
        const outcome = decoder.finish(sample.exit);
        strictEqual(outcome.status, sample.expect.status);
        if (sample.expect.finalText !== undefined)
          strictEqual(outcome.finalText, sample.expect.finalText);
        if (sample.expect.sessionId !== undefined)
          strictEqual(outcome.sessionId, sample.expect.sessionId);
        if (outcome.status === 'failed') {
          ok(outcome.error !== null, 'a failed outcome carries an error');
          checkFailure(outcome);
          if (sample.expect.failureClass !== undefined)
            strictEqual(outcome.error?.failureClass, sample.expect.failureClass);
        }
      },
    });
  }
  cases.push(...capabilityCases(adapter, request));
  return cases;
}

/** A failure names its class and, if any, a usable retry delay. */
function checkFailure(outcome: StageOutcome): void {
  const error = outcome.error;
  ok(error !== null, 'a failed outcome carries an error');
  ok(
    (FAILURE_CLASSES as readonly string[]).includes(error.failureClass),
    `failureClass ${JSON.stringify(error.failureClass)} is not one of ${FAILURE_CLASSES.join(', ')}`,
  );
  ok(
    error.retryAfterMs === null || (Number.isFinite(error.retryAfterMs) && error.retryAfterMs >= 0),
    `retryAfterMs must be null or a non-negative number, got ${error.retryAfterMs}`,
  );
}

/**
 * What an adapter declares it can do must show in its commands: a declared capability that
 * changes nothing is a promise Baton would rely on in vain; an undeclared one is never asked for.
 */
function capabilityCases(
  adapter: RuntimeAdapter,
  request: (overrides?: Partial<StageRequest>) => StageRequest,
): ConformanceCase[] {
  const id = adapter.identity.id;
  const capabilities = adapter.capabilities;
  const plain = () => adapter.buildCommand(request());
  const differs = (overrides: Partial<StageRequest>, what: string) => {
    const changed = adapter.buildCommand(request(overrides));
    ok(
      JSON.stringify(changed) !== JSON.stringify(plain()),
      `${id} declares ${what}, but the command does not change with it`,
    );
    return changed;
  };
  const cases: ConformanceCase[] = [
    {
      name: `${id}: declares its capabilities`,
      run() {
        ok(typeof capabilities === 'object' && capabilities !== null, 'capabilities missing');
        for (const flag of ['resumeSession', 'costCap', 'turnCap', 'reportsCost'] as const)
          strictEqual(typeof capabilities[flag], 'boolean', `capabilities.${flag}`);
        ok(Array.isArray(capabilities.efforts), 'capabilities.efforts must be an array');
        strictEqual(
          new Set(capabilities.efforts).size,
          capabilities.efforts.length,
          'capabilities.efforts has duplicates',
        );
      },
    },
  ];
  if (capabilities.resumeSession) {
    cases.push({
      name: `${id}: a session to resume reaches the command`,
      run() {
        const sessionId = 'session-0123456789abcdef';
        const command = differs({ resumeSessionId: sessionId }, 'resumeSession');
        const carried = [
          ...command.args,
          command.stdin ?? '',
          ...Object.values(command.env),
          ...Object.values(command.inputFiles ?? {}),
        ];
        ok(
          carried.some((value) => value.includes(sessionId)),
          'the session id must reach the runtime',
        );
      },
    });
  }
  for (const effort of capabilities.efforts) {
    cases.push({
      name: `${id}: effort "${effort}" reaches the command`,
      run() {
        differs({ effort }, `effort "${effort}"`);
      },
    });
  }
  if (capabilities.costCap) {
    cases.push({
      name: `${id}: a cost cap reaches the command`,
      run() {
        differs({ budget: { maxCostUsd: 1.25 } }, 'costCap');
      },
    });
  }
  if (capabilities.turnCap) {
    cases.push({
      name: `${id}: a turn cap reaches the command`,
      run() {
        differs({ budget: { maxTurns: 7 } }, 'turnCap');
      },
    });
  }
  return cases;
}
