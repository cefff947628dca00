import { z } from 'zod';
import { batonFileSchema } from './schema.js';

/**
 * The JSON Schema of `baton.toml`, generated from the zod schema so the two cannot drift
 * (a test compares it with the committed `baton.schema.json`). Editors with TOML schema
 * support (e.g. Taplo, Even Better TOML) use it for completion and checks.
 */
export function batonJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(batonFileSchema, {
    target: 'draft-7',
    io: 'input',
    unrepresentable: 'any',
  });
  return {
    ...schema,
    $id: 'https://baton.invalid/baton.schema.json',
    title: 'baton.toml',
    description:
      'Baton configuration: which agent harness runs each workflow stage (interview, execute, evaluate, reflect).',
  };
}

export function batonJsonSchemaText(): string {
  return `${JSON.stringify(batonJsonSchema(), null, 2)}\n`;
}
