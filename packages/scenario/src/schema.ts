/**
 * The scenario file (`*.baton-test.toml`): a goal run through a mission of the user's own
 * routing, what the scripted model server answers each stage, and what must hold afterwards.
 * Strict: an unknown key is an error with a did-you-mean, like `baton.toml`.
 */
import { STAGES } from '@baton/core';
import { z } from 'zod';

const text = z.string().trim().min(1, 'must not be empty');
const count = z.number().int().min(0);

/** `"approve"`, `"reject"`, or either followed by `: text` (the input, or why). */
export const ANSWER_PATTERN = /^(approve|reject)(?:\s*:\s*([\s\S]*))?$/;

const answer = z.union([
  z
    .string()
    .regex(ANSWER_PATTERN, 'must be "approve" or "reject", optionally followed by ": text"'),
  z.strictObject({ decision: z.enum(['approve', 'reject']), text: z.string().optional() }),
]);

const usage = z.strictObject({
  input_tokens: count.optional(),
  output_tokens: count.optional(),
  cached_input_tokens: count.optional(),
  reasoning_tokens: count.optional(),
});

const tool = z.union([
  z.strictObject({ shell: text, description: z.string().optional() }),
  z.strictObject({ name: text, arguments: z.record(z.string(), z.unknown()) }),
]);

const httpError = z.strictObject({
  status: z.number().int().min(400).max(599),
  message: z.string().optional(),
  type: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
  in_stream: z.boolean().optional(),
});

export const replySchema = z
  .strictObject({
    stage: z.enum(STAGES),
    runtime: text.optional(),
    text: z.string().optional(),
    tool: tool.optional(),
    error: httpError.optional(),
    times: z.number().int().min(1).optional(),
    usage: usage.optional(),
    delay: text.optional(),
  })
  .superRefine((reply, context) => {
    const kinds = (['text', 'tool', 'error'] as const).filter((key) => reply[key] !== undefined);
    if (kinds.length !== 1) {
      context.addIssue({
        code: 'custom',
        message:
          kinds.length === 0
            ? 'needs one of text, tool or error'
            : `has ${kinds.join(' and ')}; give exactly one of text, tool or error`,
      });
    }
    if (reply.times !== undefined && reply.error === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['times'],
        message: 'applies to an error reply only',
      });
    }
  });

export const OPERATORS = [
  'eq',
  'ne',
  'exists',
  'contains',
  'matches',
  'count',
  'gt',
  'lt',
] as const;
export type Operator = (typeof OPERATORS)[number];

export const PICKS = ['all', 'any', 'first', 'last'] as const;

const filter = z.record(z.string(), z.unknown());

export const expectationSchema = z
  .strictObject({
    path: text.optional(),
    file: text.optional(),
    event: text.optional(),
    request: filter.optional(),
    where: filter.optional(),
    pick: z.enum(PICKS).optional(),
    eq: z.unknown().optional(),
    ne: z.unknown().optional(),
    exists: z.boolean().optional(),
    contains: z.unknown().optional(),
    matches: z.string().optional(),
    count: count.optional(),
    gt: z.number().optional(),
    lt: z.number().optional(),
  })
  .superRefine((expectation, context) => {
    const subjects = (['file', 'event', 'request'] as const).filter(
      (key) => expectation[key] !== undefined,
    );
    if (subjects.length > 1) {
      context.addIssue({
        code: 'custom',
        message: `has ${subjects.join(' and ')}; an expectation looks at one thing`,
      });
    }
    if (subjects.length === 0 && expectation.path === undefined) {
      context.addIssue({
        code: 'custom',
        message: 'needs what to look at: path (the run result), file, event or request',
      });
    }
    const operators = OPERATORS.filter((key) => expectation[key] !== undefined);
    if (operators.length !== 1) {
      context.addIssue({
        code: 'custom',
        message:
          operators.length === 0
            ? `needs one operator: ${OPERATORS.join(', ')}`
            : `has ${operators.join(' and ')}; give exactly one operator`,
      });
    }
    const collection = expectation.event !== undefined || expectation.request !== undefined;
    if (!collection) {
      for (const key of ['where', 'pick', 'count'] as const) {
        if (expectation[key] !== undefined) {
          context.addIssue({
            code: 'custom',
            path: [key],
            message: 'applies to event and request expectations only',
          });
        }
      }
    }
    if (expectation.file !== undefined && expectation.path !== undefined) {
      context.addIssue({ code: 'custom', path: ['path'], message: 'does not apply to a file' });
    }
    if (expectation.matches !== undefined) {
      try {
        new RegExp(expectation.matches, 'u');
      } catch (error) {
        context.addIssue({
          code: 'custom',
          path: ['matches'],
          message: `is not a regular expression: ${(error as Error).message}`,
        });
      }
    }
  });

export const scenarioSchema = z.strictObject({
  name: text,
  goal: text,
  mission: text.optional(),
  answers: z.array(answer).optional(),
  seed: text.optional(),
  config: text.optional(),
  timeout: text.optional(),
  git: z.boolean().optional(),
  replies: z.array(replySchema).optional(),
  expect: z.array(expectationSchema).min(1, 'needs at least one [[expect]]'),
});

export type ScenarioFile = z.infer<typeof scenarioSchema>;
export type ReplyFile = z.infer<typeof replySchema>;
export type ExpectationFile = z.infer<typeof expectationSchema>;
