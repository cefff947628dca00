/**
 * The shape of `baton.toml` (PRODUCT.md §3), as written by users: snake_case keys, runtime
 * names as plain strings. Runtime names are checked against the registry's vocabulary after
 * this structural pass (see `load.ts`), so this schema stays independent of which
 * adapters are installed and can be exported as a JSON Schema for editors.
 */
import { z } from 'zod';
import { STAGES } from '../stage.js';
import { parseDuration } from './duration.js';

// Config is parsed once per process, so zod's code-generating fast path costs more than it
// saves; and merely probing whether it may generate code reads `navigator`, which makes
// Node load its Web Locks machinery. Both show on `baton stages` start-up (docs/benchmarks.md).
z.config({ jitless: true });

// `abort`: an empty value is reported once, not again by every format check after it.
const nonEmpty = z.string().trim().min(1, { message: 'must not be empty', abort: true });

const duration = nonEmpty.refine((value) => parseDuration(value) !== undefined, {
  message: 'is not a duration; write a number with a unit, e.g. "30m", "90s", "1h30m" or "500ms"',
});

const stageRuntimes = z.strictObject(
  Object.fromEntries(STAGES.map((stage) => [stage, nonEmpty.optional()])) as Record<
    (typeof STAGES)[number],
    z.ZodOptional<typeof nonEmpty>
  >,
);

export const runtimeProfileTableSchema = z.strictObject({
  /** Runtime for every stage not listed under `stages`. */
  default: nonEmpty.optional(),
  /** Abstract backend profile, mapped by each adapter onto its native mechanism. */
  backend_profile: nonEmpty.optional(),
  stages: stageRuntimes.optional(),
});

export const orchestratorSchema = z.strictObject({
  /** The single-backend fallback; default `claude-code`. */
  runtime_backend: nonEmpty.optional(),
  /** A table, or a string as shorthand for `{ backend_profile = "..." }`. */
  runtime_profile: z.union([nonEmpty, runtimeProfileTableSchema]).optional(),
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
  .url({ protocol: /^https?$/, hostname: /./, message: HTTP_URL_MESSAGE });

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

export const batonFileSchema = z.strictObject({
  orchestrator: orchestratorSchema.optional(),
  runtimes: z.record(z.string(), runtimeSettingsSchema).optional(),
  missions: z.record(missionName, missionSchema).optional(),
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
