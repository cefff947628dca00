/**
 * The RuntimeAdapter interface, version 1: the whole contract between Baton and one agent
 * harness. Types only. A change here is a breaking change for every adapter, first-party
 * and third-party: it takes a new `specificationVersion`.
 */
import type { AccessLevel } from '../../access.js';
import type { Stage } from '../../stage.js';

/** The literal every v1 adapter carries; the registry refuses any other value. */
export const SPECIFICATION_VERSION = 'baton-adapter-v1' as const;
export type SpecificationVersion = typeof SPECIFICATION_VERSION;

/** Who the adapter is. Cheap data, also published in the package's `baton` manifest. */
export interface AdapterIdentity {
  /** Canonical runtime id, kebab-case; equals the adapter package's suffix (`codex`). */
  readonly id: string;
  /** Other names users may write in config (`claude`, `claude_code`). Lowercase. */
  readonly aliases: readonly string[];
  /** Human name shown in tables (`Claude Code`). */
  readonly displayName: string;
  /** Executable name looked up on PATH, or `null` for a runtime reached over HTTP only. */
  readonly binary: string | null;
  /** Semver range of runtime versions this adapter was tested against (`>=0.169.0 <0.170.0`). */
  readonly testedVersions: string;
  /** How the role contract reaches this runtime (`--append-system-prompt`), shown by doctor. */
  readonly contractChannel: string;
}

/** Settings from `[runtimes.<id>]`, normalised to camelCase. All optional. */
export interface RuntimeSettings {
  /** Path to the executable; default: `identity.binary` found on PATH. */
  readonly binary?: string;
  /** Model id, passed with the runtime's model flag. */
  readonly model?: string;
  /** Send model requests to this OpenAI/Anthropic-compatible gateway instead. */
  readonly baseUrl?: string;
  /** Name of the environment variable holding the key for `baseUrl`. Never the key itself. */
  readonly apiKeyEnv?: string;
  /** Wall-clock limit per stage, in milliseconds. */
  readonly timeoutMs?: number;
  /** Limit on silence (no output) per stage, in milliseconds. */
  readonly idleTimeoutMs?: number;
  /** The runtime's own config file when it is not at its default place (LiteLLM `config.yaml`). */
  readonly configPath?: string;
}

/** Read-only view of an environment. Functions take it as a parameter so tests pass their own. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Everything a command builder needs to run one stage. */
export interface StageRequest {
  readonly stage: Stage;
  /** The task for the runtime: goal plus previous stages' results. Travels on stdin where possible. */
  readonly prompt: string;
  /** The rendered role contract for this stage, delivered through `identity.contractChannel`. */
  readonly contract: string;
  /** Working directory of the run (the user's workspace). */
  readonly cwd: string;
  readonly access: AccessLevel;
  /** Abstract backend profile (`worker`), or `null` when none is configured. */
  readonly profile: string | null;
  /** Model from the stage or runtime settings; overrides `settings.model`. */
  readonly model?: string;
  /** Continue this runtime session instead of starting a new one, where supported. */
  readonly resumeSessionId?: string;
  readonly settings: RuntimeSettings;
  /** A private, empty directory for this stage's side files (usage files, generated config). */
  readonly scratchDir: string;
  /** The environment the runtime will inherit; builders read it, never mutate it. */
  readonly env: Environment;
}

/** A process to start: an argument array, never a shell string. */
export interface CommandSpec {
  readonly file: string;
  readonly args: readonly string[];
  /** Variables to set on top of the inherited environment. May hold secrets: never journaled. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** Written to the child's stdin, which is then closed; `null` closes it at once. */
  readonly stdin: string | null;
  /**
   * Files the runner writes before starting the process, by absolute path (always inside
   * `request.scratchDir`): a generated settings file, an instructions file. Keeps the
   * builder pure while letting long text travel by file instead of argv.
   */
  readonly inputFiles?: Readonly<Record<string, string>>;
  /** Files the runtime writes that the decoder needs at the end (e.g. a usage file), by name. */
  readonly resultFiles?: Readonly<Record<string, string>>;
  /** Argument values that are secret and must be redacted wherever argv is recorded. */
  readonly secretArgs?: readonly string[];
}

/** Token usage; every count may be unknown, and `known: false` says none was reported. */
export interface Usage {
  readonly known: boolean;
  /** Input tokens, including cached ones. */
  readonly inputTokens: number | null;
  /** Input tokens served from a cache (a subset of `inputTokens`). */
  readonly cachedInputTokens: number | null;
  readonly outputTokens: number | null;
  /** Reasoning tokens, when the runtime reports them separately (a subset of `outputTokens`). */
  readonly reasoningTokens: number | null;
  readonly totalTokens: number | null;
  readonly costUsd: number | null;
}

export const ERROR_KINDS = [
  'auth',
  'network',
  'rate-limit',
  'server',
  'model',
  'permission',
  'timeout',
  'unknown',
] as const;
/** What kind of failure a runtime reported; drives retries and doctor's probe verdict. */
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** Baton's normalised events, decoded from any runtime's output. */
export type RuntimeEvent =
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'tool-use';
      readonly name: string;
      readonly id: string | null;
      readonly status: 'started' | 'completed' | 'failed';
      readonly input: unknown;
      readonly output: string | null;
    }
  | { readonly type: 'usage'; readonly usage: Usage }
  | { readonly type: 'session'; readonly sessionId: string }
  | { readonly type: 'result'; readonly text: string }
  | {
      readonly type: 'error';
      readonly message: string;
      readonly kind: ErrorKind;
      readonly status: number | null;
      /** Fatal errors fail the stage; others (a retry notice) are reported only. */
      readonly fatal: boolean;
    }
  | { readonly type: 'warning'; readonly message: string };

/** How the process ended, as the runner saw it. */
export interface ProcessExit {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** The last part of stderr (bounded), for error messages. */
  readonly stderrTail: string;
  /** Contents of `CommandSpec.resultFiles`, or `null` for a file the runtime did not write. */
  readonly resultFiles: Readonly<Record<string, string | null>>;
}

/** The decoded end of a stage. A stage succeeded only when `status` says so. */
export interface StageOutcome {
  readonly status: 'succeeded' | 'failed';
  readonly finalText: string | null;
  readonly sessionId: string | null;
  readonly usage: Usage;
  readonly error: {
    readonly message: string;
    readonly kind: ErrorKind;
    readonly status: number | null;
    /** Worth retrying: a crash before output, a rate limit, a 5xx. */
    readonly retryable: boolean;
  } | null;
}

/** Streaming decoder for one run of one command; create a new one per run. */
export interface OutputDecoder {
  /** One line of stdout, without its line break (possibly cut at the runner's line cap). */
  push(line: string): RuntimeEvent[];
  /** Called once after the process ended; decides success from output and exit together. */
  finish(exit: ProcessExit): StageOutcome;
}

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** One doctor finding. */
export interface CheckResult {
  readonly status: CheckStatus;
  readonly summary: string;
  /** What to do about a warn or fail, as a command or a concrete step. */
  readonly remediation?: string;
  /** The runtime's version, when this check learned it. */
  readonly version?: string;
}

/** What a doctor check may use. Everything with I/O arrives here so tests can replace it. */
export interface DoctorContext {
  readonly settings: RuntimeSettings;
  readonly profile: string | null;
  readonly env: Environment;
  readonly cwd: string;
  /** The stages this runtime is routed to. */
  readonly stages: readonly Stage[];
  /** Aborted when the check's time is up; long operations must honour it. */
  readonly signal: AbortSignal;
  /** Results of the checks this one depends on, by id. */
  readonly results: Readonly<Record<string, CheckResult>>;
}

export interface DoctorCheck {
  /** Stable id, `<area>` or `<area>.<detail>` (`binary`, `version`, `auth`, `profile`, `probe`). */
  readonly id: string;
  /** Checks that must pass (or warn) first; when one fails this check is skipped. */
  readonly dependsOn?: readonly string[];
  /** Runs only with `baton doctor --probe`: a real, bounded invocation. */
  readonly probe?: boolean;
  /** Own time limit in milliseconds; default is the doctor's. */
  readonly timeoutMs?: number;
  run(context: DoctorContext): Promise<CheckResult>;
}

/** How a backend profile maps onto this runtime. */
export interface ProfileMapping {
  /** Native name for an abstract profile (`worker` → `baton-worker`). */
  nativeName(profile: string): string;
  /** One line saying where the native profile lives, for docs and doctor (`$CODEX_HOME/baton-worker.config.toml`). */
  describe(profile: string, env: Environment): string;
}

/** Context for writing a runtime's native config. */
export interface NativeConfigContext {
  readonly profile: string;
  readonly settings: RuntimeSettings;
  readonly env: Environment;
  readonly cwd: string;
  /** The installed runtime version, when known, so the writer picks the layout it reads. */
  readonly runtimeVersion: string | null;
  /**
   * `baton setup --migrate`: move the profile out of a layout the installed runtime no longer
   * reads into the one it reads (Codex: `[profiles.<name>]` in `config.toml` into
   * `<name>.config.toml`). Without it a writer that finds such a layout refuses, with a
   * `NATIVE_CONFIG` error that says what it found and that `--migrate` moves it.
   */
  readonly migrate?: boolean;
  /**
   * What a file held before Baton first changed it: its text, `null` when Baton created it,
   * `undefined` when Baton has no record of it. `baton setup` keeps that record; a writer
   * passes it to the native-config editors' `original` option when it plans a revert, so
   * that revert removes only the tables, objects and mappings (and files) Baton created and
   * gives back the user's, empty ones included, as they were. Absent: no records are kept.
   */
  readonly original?: (path: string) => Promise<string | null | undefined>;
}

/** One file the writer would change, with its before and after text. */
export interface NativeConfigChange {
  readonly path: string;
  /** The file's text when the writer read it (`null`: missing); applying refuses if it changed since. */
  readonly before: string | null;
  /** The wanted text; `null` deletes the file; equal to `before` when the file is already as wanted. */
  readonly after: string | null;
  /** The keys Baton owns in this file, for docs and `--json` output. */
  readonly ownedKeys: readonly string[];
  /** Permission bits for a file this change creates (default `0o644`); an existing file keeps its own. */
  readonly mode?: number;
  /** Create the file's missing parent directories (default false: a missing directory is an error). */
  readonly createDirectories?: boolean;
  /**
   * Directories to remove after this change deletes its file, deepest first, each only when it
   * is empty (never recursively): the ones Baton created for the file (a Hermes profile).
   */
  readonly removeEmptyDirectories?: readonly string[];
  /** What the user should know about this file (a migration done, a limit of the runtime). */
  readonly notes?: readonly string[];
}

/** Plans changes to native config; applying them is core's job (atomic, checked, no byte lost). */
export interface NativeConfigWriter {
  /**
   * The changes `baton setup` would make; no I/O beyond reading. Empty, or only changes whose
   * `after` equals `before`, when already set up (a writer may list the files it checked so
   * that setup can show them as unchanged).
   */
  plan(context: NativeConfigContext): Promise<readonly NativeConfigChange[]>;
  /** The changes that remove exactly what Baton owns. */
  planRevert(context: NativeConfigContext): Promise<readonly NativeConfigChange[]>;
}

/** The interface every runtime adapter implements. */
export interface RuntimeAdapter {
  readonly specificationVersion: SpecificationVersion;
  readonly identity: AdapterIdentity;
  readonly profile: ProfileMapping;
  /** Doctor checks; the cheap ones run always, `probe: true` ones only when asked. */
  doctorChecks(): readonly DoctorCheck[];
  /** Pure: the same request always gives the same command. */
  buildCommand(request: StageRequest): CommandSpec;
  createDecoder(request: StageRequest): OutputDecoder;
  readonly nativeConfig: NativeConfigWriter;
}
