/**
 * The shape of `baton.toml` (PRODUCT.md §3), as written by users: snake_case keys, runtime
 * names as plain strings. Runtime names are checked against the registry's vocabulary after
 * this structural pass (see `load.ts`), so this schema stays independent of which
 * adapters are installed and can be exported as a JSON Schema for editors.
 */
import { z } from 'zod';
import { STAGES } from '../stage.js';
import { parseDuration } from './duration.js';
import { WORKSPACE_STRATEGIES } from './scale.js';

// Config is parsed once per process, so zod's code-generating fast path costs more than it
// saves; and merely probing whether it may generate code reads `navigator`, which makes
// Node load its Web Locks machinery. Both show on `baton stages` start-up (docs/benchmarks.md).
z.config({ jitless: true });

// `abort`: an empty value is reported once, not again by every format check after it.
const nonEmpty = z.string().trim().min(1, { message: 'must not be empty', abort: true });

const duration = nonEmpty.refine((value) => parseDuration(value) !== undefined, {
  message: 'is not a duration; write a number with a unit, e.g. "30m", "90s", "1h30m" or "500ms"',
});

/** The most runtimes one stage's fallback chain may list. */
export const MAX_CHAIN_LENGTH = 5;

/** One runtime of a stage, with the model and reasoning effort to use there. */
export const stageTargetTableSchema = z.strictObject({
  runtime: nonEmpty,
  /** Passed with the runtime's model flag for this stage; default: `[runtimes.<id>] model`. */
  model: nonEmpty.optional(),
  /** Reasoning effort; one the runtime's adapter accepts (`baton doctor` checks it). */
  effort: nonEmpty.optional(),
});

const stageTarget = z.union([nonEmpty, stageTargetTableSchema]);

/**
 * A stage's runtime (and `default`'s): a name, a table `{ runtime, model?, effort? }`, or an
 * ordered fallback chain of those. Names are checked against the registry after this pass.
 */
export const stageValueSchema = z
  .union([
    nonEmpty,
    stageTargetTableSchema,
    z
      .array(stageTarget)
      .min(1, { message: 'must name at least one runtime' })
      .max(MAX_CHAIN_LENGTH, { message: `may list at most ${MAX_CHAIN_LENGTH} runtimes` }),
  ])
  // One definition in the JSON Schema instead of five copies (`default` and each stage).
  .meta({
    id: 'stageValue',
    description:
      'A runtime name, a table { runtime, model?, effort? }, or a fallback chain of up to 5 of those.',
  });

const stageRuntimes = z.strictObject(
  Object.fromEntries(STAGES.map((stage) => [stage, stageValueSchema.optional()])) as Record<
    (typeof STAGES)[number],
    z.ZodOptional<typeof stageValueSchema>
  >,
);

export const runtimeProfileTableSchema = z.strictObject({
  /** Runtime (or chain) for every stage not listed under `stages`. */
  default: stageValueSchema.optional(),
  /** Abstract backend profile, mapped by each adapter onto its native mechanism. */
  backend_profile: nonEmpty.optional(),
  stages: stageRuntimes.optional(),
});

/** Retry counts are bounded: enough for a real outage, never an endless loop. */
export const MAX_RETRIES = 10;
/** The longest any one wait may be configured to last. */
export const MAX_RETRY_DELAY = '1h';
const MAX_RETRY_DELAY_MS = 3_600_000;

const retryDelay = duration.refine((value) => (parseDuration(value) ?? 0) <= MAX_RETRY_DELAY_MS, {
  message: `may be at most "${MAX_RETRY_DELAY}"`,
});

const retryCount = z
  .number()
  .int({ message: 'must be a whole number' })
  .min(0, { message: 'must not be negative' })
  .max(MAX_RETRIES, { message: `may be at most ${MAX_RETRIES}` });

export const retrySchema = z
  .strictObject({
    /** Transient failures retried on the same runtime before falling back. */
    max_retries: retryCount.optional(),
    /** Backoff base, doubling per retry. */
    base_delay: retryDelay.optional(),
    /** Cap on every wait, including a delay the harness or server states. */
    max_delay: retryDelay.optional(),
    /** Waits-and-retries on a rate limit, per runtime, before falling back. */
    rate_limit_retries: retryCount.optional(),
  })
  .superRefine((retry, context) => {
    const base = retry.base_delay === undefined ? undefined : parseDuration(retry.base_delay);
    const max = retry.max_delay === undefined ? undefined : parseDuration(retry.max_delay);
    if (base !== undefined && max !== undefined && base > max) {
      context.addIssue({
        code: 'custom',
        path: ['max_delay'],
        message: `must not be shorter than base_delay ("${retry.base_delay}")`,
      });
    }
  });

export const orchestratorSchema = z.strictObject({
  /** The single-backend fallback; default `claude-code`. */
  runtime_backend: nonEmpty.optional(),
  /** A table, or a string as shorthand for `{ backend_profile = "..." }`. */
  runtime_profile: z.union([nonEmpty, runtimeProfileTableSchema]).optional(),
  /** How failed attempts are retried and when a chain falls back. */
  retry: retrySchema.optional(),
});

const environmentVariableName = nonEmpty.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  message:
    'must be the name of an environment variable (letters, digits, underscores), not its value',
});

const HTTP_URL_MESSAGE =
  'must be an http:// or https:// URL naming a host, e.g. "http://127.0.0.1:4000/v1"';

// `localhost:8080` parses as a URL whose scheme is `localhost:`, and `http:host` is rewritten
// to `http://host/` by URL parsers but not by every runtime; so the text itself must start
// with the scheme and `//`, and then parse with a host.
const httpUrl = nonEmpty
  .regex(/^https?:\/\/[^\s/?#]/, { message: HTTP_URL_MESSAGE, abort: true })
  .url({ protocol: /^https?$/, hostname: /./, message: HTTP_URL_MESSAGE, abort: true })
  // A password in a URL would be printed wherever the URL is (errors, doctor, the journal's
  // config snapshot); keys travel in the variable `api_key_env` names. The issue masks the
  // user part of the value it reports (`maskUserinfo`), so the refusal does not leak it either.
  .refine((value) => !/^https?:\/\/[^/?#]*@/.test(value), {
    message:
      'must not carry a user name or password; put the key in an environment variable and name it with api_key_env',
    params: { maskUserinfo: true },
  });

export const runtimeSettingsSchema = z.strictObject({
  binary: nonEmpty.optional(),
  model: nonEmpty.optional(),
  base_url: httpUrl.optional(),
  api_key_env: environmentVariableName.optional(),
  timeout: duration.optional(),
  idle_timeout: duration.optional(),
  config_path: nonEmpty.optional(),
});

export const MAX_MISSION_STEPS = 5;
export const MAX_HUMAN_STEPS = 2;
export const MAX_MISSION_LOOPS = 3;

export const MAX_MISSION_NAME_LENGTH = 64;

/** A mission is named on the command line and in the journal, so its name is plain. */
const missionName = z
  .string()
  .regex(new RegExp(`^[A-Za-z0-9][A-Za-z0-9_-]{0,${MAX_MISSION_NAME_LENGTH - 1}}$`), {
    message: `a mission name starts with a letter or digit and has only letters, digits, "-" and "_" (at most ${MAX_MISSION_NAME_LENGTH} characters)`,
  });

const positiveNumber = z.number().positive({ message: 'must be greater than 0' });
const positiveInteger = z
  .number()
  .int({ message: 'must be a whole number' })
  .positive({ message: 'must be greater than 0' });

const humanStep = z.strictObject({ human: nonEmpty });
const missionStep = z.union([z.enum(STAGES), humanStep]);

export const missionSchema = z
  .strictObject({
    description: nonEmpty.optional(),
    steps: z
      .array(missionStep)
      .min(1, { message: 'must have at least one step' })
      .max(MAX_MISSION_STEPS, { message: `may have at most ${MAX_MISSION_STEPS} steps` }),
    /** How many times a failing evaluate verdict may send the run back to execute. */
    max_loops: z.number().int().min(0).max(MAX_MISSION_LOOPS).optional(),
    /** The run's budget in USD: no stage starts once it is spent. */
    max_cost_usd: positiveNumber.optional(),
    /** The run's budget in tokens (input + output): no stage starts once it is spent. */
    max_tokens: positiveInteger.optional(),
    /** Agent turns per stage, for harnesses that cap turns natively. */
    max_turns: positiveInteger.optional(),
  })
  .superRefine((mission, context) => {
    const humans = mission.steps.filter((step) => typeof step !== 'string').length;
    if (humans > MAX_HUMAN_STEPS) {
      context.addIssue({
        code: 'custom',
        path: ['steps'],
        message: `may have at most ${MAX_HUMAN_STEPS} human steps, found ${humans}`,
      });
    }
  });

export const contractSchema = z
  .strictObject({
    /** `extend` appends to the built-in role text; `replace` substitutes it. */
    mode: z.enum(['extend', 'replace']).optional(),
    text: nonEmpty.optional(),
    /** A file holding the text, relative to the config file that names it. */
    file: nonEmpty.optional(),
  })
  .refine((contract) => (contract.text === undefined) !== (contract.file === undefined), {
    message: 'needs exactly one of `text` or `file`',
  });

const POSTGRES_URL_MESSAGE =
  'must be a postgresql:// URL, e.g. "postgresql://baton@db.internal:5432/baton"';

// The URL may name a user, never carry a password: the file is committed and printed. The
// password comes from the variable database_url_env names (or PGPASSWORD, or ~/.pgpass). The
// issue masks the value it reports, so the refusal does not leak the password either.
const postgresUrl = nonEmpty
  .regex(/^postgres(?:ql)?:\/\//, { message: POSTGRES_URL_MESSAGE, abort: true })
  .refine((value) => URL.canParse(value), { message: POSTGRES_URL_MESSAGE, abort: true })
  .refine(
    (value) => {
      const url = new URL(value);
      return url.password === '' && !url.searchParams.has('password');
    },
    {
      message:
        'must not carry a password: put the whole URL in an environment variable and name it with database_url_env (or give the password through PGPASSWORD or ~/.pgpass)',
      params: { maskUserinfo: true },
    },
  );

/** An application version: workers of one version recover each other's work, never another's. */
const applicationVersion = nonEmpty.regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/, {
  message:
    'must start with a letter or digit and have only letters, digits, ".", "_", "+" and "-" (at most 64), e.g. "2026.12.1"',
});

const branchPrefix = nonEmpty.regex(/^(?![/-])(?!.*(?:\.\.|\/\/))[A-Za-z0-9._/-]{1,64}$/, {
  message:
    'must be the start of a git branch name: letters, digits, ".", "_", "-" and "/" (at most 64), not starting with "/" or "-", without ".." or "//", e.g. "baton/"',
});

export const scaleSchema = z
  .strictObject({
    /** The database URL, without a password. */
    database_url: postgresUrl.optional(),
    /** The environment variable holding the database URL; default `BATON_DATABASE_URL`. */
    database_url_env: environmentVariableName.optional(),
    /** The pinned version of this pool's Baton; required. */
    application_version: applicationVersion,
    /** How a stage's workspace reaches its worker; required. */
    workspace: z.enum(WORKSPACE_STRATEGIES),
    /** `workspace = "git"`: each run on a branch of a remote every worker can push to. */
    git: z
      .strictObject({
        /** A git URL (or path) every worker can fetch from and push to. */
        remote: nonEmpty,
        /** The run's branch is `<branch_prefix><run id>`; default `baton/`. */
        branch_prefix: branchPrefix.optional(),
      })
      .optional(),
    /** `workspace = "shared-path"`: a folder every worker mounts at the same path. */
    shared_path: z
      .strictObject({
        /** An absolute path; each run works in `<root>/<run id>`. */
        root: nonEmpty.refine((value) => value.startsWith('/'), {
          message: 'must be an absolute path (starting with "/"), the same on every worker',
        }),
      })
      .optional(),
  })
  .superRefine((scale, context) => {
    const other = scale.workspace === 'git' ? 'shared_path' : 'git';
    const own = scale.workspace === 'git' ? 'git' : 'shared_path';
    if (scale[own] === undefined) {
      context.addIssue({
        code: 'custom',
        path: [own],
        message:
          own === 'git'
            ? 'is required with workspace = "git": give [scale.git] remote = "<a git URL every worker can push to>"'
            : 'is required with workspace = "shared-path": give [scale.shared_path] root = "<a folder every worker mounts>"',
      });
    }
    if (scale[other] !== undefined) {
      context.addIssue({
        code: 'custom',
        path: [other],
        message: `does not apply with workspace = "${scale.workspace}"; remove it, or change workspace`,
      });
    }
  });

const pricePerMillion = z.number().min(0, { message: 'must not be negative' });

/** USD per million tokens of one model. */
export const modelPriceSchema = z.strictObject({
  input: pricePerMillion,
  /** Default: `input`. */
  cached_input: pricePerMillion.optional(),
  output: pricePerMillion,
  /** Default: `output` (reasoning tokens are billed as output). */
  reasoning: pricePerMillion.optional(),
});

const modelName = z.string().regex(/\S/, { message: 'a model name must not be empty' });

export const batonFileSchema = z.strictObject({
  orchestrator: orchestratorSchema.optional(),
  runtimes: z.record(z.string(), runtimeSettingsSchema).optional(),
  missions: z.record(missionName, missionSchema).optional(),
  /** Prices by model name, for stages whose harness reports no cost. */
  pricing: z.record(modelName, modelPriceSchema).optional(),
  /** Scale mode: missions as durable workflows on PostgreSQL, stages run by a pool of workers. */
  scale: scaleSchema.optional(),
  contracts: z
    .strictObject(
      Object.fromEntries(STAGES.map((stage) => [stage, contractSchema.optional()])) as Record<
        (typeof STAGES)[number],
        z.ZodOptional<typeof contractSchema>
      >,
    )
    .optional(),
});

export type BatonFile = z.infer<typeof batonFileSchema>;
export type MissionFile = z.infer<typeof missionSchema>;
export type RuntimeSettingsFile = z.infer<typeof runtimeSettingsSchema>;
export type StageValueFile = z.infer<typeof stageValueSchema>;
export type RetryFile = z.infer<typeof retrySchema>;
export type ModelPriceFile = z.infer<typeof modelPriceSchema>;
export type ScaleFile = z.infer<typeof scaleSchema>;
