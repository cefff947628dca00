import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { batonJsonSchema, batonJsonSchemaText } from './json-schema.js';

const committed = fileURLToPath(new URL('../../baton.schema.json', import.meta.url));

describe('baton.schema.json', () => {
  it('is current: regenerate with `pnpm --filter @baton/core generate:schema`', () => {
    expect(readFileSync(committed, 'utf8')).toBe(batonJsonSchemaText());
  });

  it('describes the stage keys and rejects unknown keys', () => {
    const schema = batonJsonSchema() as {
      additionalProperties: boolean;
      properties: {
        orchestrator: {
          properties: {
            runtime_profile: { anyOf: { properties?: { stages?: { properties: object } } }[] };
          };
        };
      };
    };
    expect(schema.additionalProperties).toBe(false);
    const table = schema.properties.orchestrator.properties.runtime_profile.anyOf.find(
      (option) => option.properties,
    );
    expect(Object.keys(table!.properties!.stages!.properties)).toEqual([
      'interview',
      'execute',
      'evaluate',
      'reflect',
    ]);
  });
});
