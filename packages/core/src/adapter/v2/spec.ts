/**
 * The RuntimeAdapter interface, version 2: the whole contract between Baton and one agent
 * harness. Types only. A change here is a breaking change for every adapter, first-party and
 * third-party: it takes a new `specificationVersion`.
 *
 * What changed from version 1 (`../v1/spec.ts`, still loaded: the registry upgrades a v1
 * adapter with `upgradeV1Adapter`):
 * - a failed attempt says which class of failure it was (`StageFailure.failureClass`) and how
 *   long the harness or server asked to wait (`retryAfterMs`), so the engine can wait, retry
 *   the same runtime, or fall back to the next one of a stage's chain;
 * - an adapter declares what it can do beyond running a stage (`capabilities`): continue a
 *   harness session, take a reasoning effort, cap a stage's spend or turns natively, report cost;
 * - a stage request carries the stage's reasoning effort and the budget left for the stage;
 * - a `text` event may be a piece of a message still being written (`partial`), so a harness
 *   that streams its answer token by token is journaled and shown as one message.
 * Every other type is unchanged from version 1 and re-exported from there.
 */
import type { ErrorKind, StageRequest as StageRequestV1, Usage } from '../v1/spec.js';

export type {
  AdapterIdentity,
  CheckResult,
  CheckStatus,
  CommandSpec,
  DoctorCheck,
  DoctorContext,
  Environment,
  ErrorKind,
  NativeConfigChange,
  NativeConfigContext,
  NativeConfigWriter,
  ProcessExit,
  ProfileMapping,
  RuntimeSettings,
  Usage,
} from '../v1/spec.js';
export { ERROR_KINDS } from '../v1/spec.js';

import type {
  AdapterIdentity,
  CommandSpec,
  DoctorCheck,
  NativeConfigWriter,
  ProcessExit,
  ProfileMapping,
} from '../v1/spec.js';

/** The literal every v2 adapter carries (and its package.json `baton.adapter` manifest). */
export const SPECIFICATION_VERSION = 'baton-adapter-v2' as const;
export type SpecificationVersion = typeof SPECIFICATION_VERSION;

/**
 * Why an attempt at a stage failed, as far as what to do next is concerned:
 * - `rate_limited`: the harness or its provider said "too many requests" (429, "rate limit");
 *   waiting helps — `retryAfterMs` says how long when the harness or server said so.
 * - `quota_exhausted`: a usage limit, exhausted credits or a billing problem; waiting minutes
 *   does not help, another runtime may.
 * - `auth`: missing, invalid or expired credentials (401/403, no key).
 * - `unavailable`: the runtime cannot run here now: binary missing, gateway unreachable after
 *   the harness's own bounded retries.
 * - `transient`: a server error (5xx) or a network failure worth retrying a bounded number of times.
 * - `timeout`: Baton stopped the attempt at its wall-clock or idle limit.
 * - `task`: the harness ran and the work itself failed (non-zero exit without an infrastructure
 *   cause, a refused tool, a model error about the request). Falling back would redo the same work.
 */
export const FAILURE_CLASSES = [
  'rate_limited',
  'quota_exhausted',
  'auth',
  'unavailable',
  'transient',
  'timeout',
  'task',
] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

/**
 * Baton's normalised events, decoded from any runtime's output. Version 1's events (which a
 * v2 decoder may keep emitting as they are) plus `partial` on `text`.
 */
export type RuntimeEvent =
  | {
      readonly type: 'text';
      /** The text: a whole message, or (with `partial`) the next piece of one. */
      readonly text: string;
      /**
       * A piece of a message still being written (a streamed delta). The message is the
       * pieces joined as they are, in order, and ends at the next event that is not a partial
       * `text` or at the stage's end; Baton journals and shows it as one message. Absent or
       * `false`: the text is a whole message.
       */
      readonly partial?: boolean;
    }
  | {
      readonly type: 'tool-use';
      /** The harness's name for the tool (`Bash`, `edit`, `command`). */
      readonly name: string;
      /** The harness's id of this call, linking its `started` and later events; `null` if none. */
      readonly id: string | null;
      readonly status: 'started' | 'completed' | 'failed';
      /** The tool's input as the harness reported it (a command, a file path, ...). */
      readonly input: unknown;
      /** The tool's output, once known. */
      readonly output: string | null;
    }
  | {
      readonly type: 'usage';
      /** Usage so far for the whole stage (each report replaces the previous one). */
      readonly usage: Usage;
    }
  | {
      readonly type: 'session';
      /** The harness's session id, to continue the session later. */
      readonly sessionId: string;
    }
  | {
      readonly type: 'result';
      /** The stage's final answer, as the harness reported it. */
      readonly text: string;
    }
  | {
      readonly type: 'error';
      readonly message: string;
      readonly kind: ErrorKind;
      /** The HTTP status behind the error, when one is known. */
      readonly status: number | null;
      /** Fatal errors fail the stage; others (a retry notice) are reported only. */
      readonly fatal: boolean;
    }
  | {
      readonly type: 'warning';
      /** Something worth telling the user that does not fail the stage. */
      readonly message: string;
    };

/** The spend a stage may still make, passed to harnesses that can cap it natively. */
export interface StageBudget {
  /** USD left for this stage (the run's budget minus what earlier stages cost). */
  readonly maxCostUsd?: number;
  /** Agent turns allowed for this stage. */
  readonly maxTurns?: number;
}

/** Everything a command builder needs to run one stage. */
export interface StageRequest extends StageRequestV1 {
  /**
   * Reasoning effort for this stage (`low`, `medium`, `high`, …), one of
   * `capabilities.efforts`; absent: the harness's default. Never set for an adapter whose
   * `capabilities.efforts` is empty.
   */
  readonly effort?: string;
  /**
   * The budget left, for harnesses that cap it natively (`capabilities.costCap`,
   * `capabilities.turnCap`); absent: no cap. Baton enforces budgets between stages itself.
   */
  readonly budget?: StageBudget;
}

/** A failed attempt, as the decoder (or the runner) saw it. */
export interface StageFailure {
  readonly message: string;
  readonly kind: ErrorKind;
  /** The HTTP status behind the failure, when one is known. */
  readonly status: number | null;
  /** Worth retrying on the same runtime: a crash before output, a rate limit, a 5xx. */
  readonly retryable: boolean;
  readonly failureClass: FailureClass;
  /**
   * How long the harness or the server asked to wait before retrying, in ms; `null`: not said.
   * For `quota_exhausted` it is the time until the quota resets, when stated: shown to the user,
   * never waited for (the engine moves to the next runtime instead).
   */
  readonly retryAfterMs: number | null;
  /**
   * The native cap of `StageRequest.budget` that stopped the stage (`--max-budget-usd`,
   * `--max-turns`), so the run ends as out of budget (resumable with a larger one) rather than
   * as a failed task. Absent: no cap stopped it.
   */
  readonly limitReached?: 'cost' | 'turns';
  /**
   * The harness did not know `StageRequest.resumeSessionId` (expired, deleted, another machine):
   * the engine restarts the stage from its checkpoint instead of failing it. Absent: false.
   */
  readonly sessionNotFound?: boolean;
}

/** The decoded end of a stage. A stage succeeded only when `status` says so. */
export interface StageOutcome {
  readonly status: 'succeeded' | 'failed';
  readonly finalText: string | null;
  readonly sessionId: string | null;
  readonly usage: Usage;
  readonly error: StageFailure | null;
}

/** Streaming decoder for one run of one command; create a new one per run. */
export interface OutputDecoder {
  /** One line of stdout, without its line break (possibly cut at the runner's line cap). */
  push(line: string): RuntimeEvent[];
  /** Called once after the process ended; decides success from output and exit together. */
  finish(exit: ProcessExit): StageOutcome;
}

/** What an adapter can do beyond running a stage. Baton never asks for more than declared. */
export interface AdapterCapabilities {
  /**
   * Continues an earlier session of the harness when `StageRequest.resumeSessionId` is set
   * (`codex exec resume <id>`, `claude --resume <id>`), so an interrupted stage goes on where
   * it stopped instead of starting over.
   */
  readonly resumeSession: boolean;
  /** Reasoning efforts the harness accepts for `StageRequest.effort`; empty: it has no such setting. */
  readonly efforts: readonly string[];
  /** Caps a stage's spend natively with `StageRequest.budget.maxCostUsd`. */
  readonly costCap: boolean;
  /**
   * Caps a stage's agent turns natively with `StageRequest.budget.maxTurns`. The cap may be
   * advisory (the harness tells the model to wrap up) rather than a hard stop; Baton still
   * enforces budgets between stages.
   */
  readonly turnCap: boolean;
  /**
   * May report the cost of a stage itself (in `Usage.costUsd`); a stage whose cost it did not
   * report (`null`, e.g. a model it has no price for) is priced from the user's `[pricing]`
   * table like any other. When false, cost is known only from `[pricing]`.
   */
  readonly reportsCost: boolean;
}

/** The interface every runtime adapter implements. */
export interface RuntimeAdapter {
  readonly specificationVersion: SpecificationVersion;
  readonly identity: AdapterIdentity;
  readonly profile: ProfileMapping;
  readonly capabilities: AdapterCapabilities;
  /** Doctor checks; the cheap ones run always, `probe: true` ones only when asked. */
  doctorChecks(): readonly DoctorCheck[];
  /** Pure: the same request always gives the same command. */
  buildCommand(request: StageRequest): CommandSpec;
  createDecoder(request: StageRequest): OutputDecoder;
  readonly nativeConfig: NativeConfigWriter;
}
