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

  it('accepts a name, a strict table or a chain of at most 5 for every stage and default', () => {
    const schema = batonJsonSchema() as {
      definitions: { stageValue: { anyOf: Record<string, unknown>[] } };
      properties: {
        orchestrator: { properties: Record<string, { anyOf?: { properties?: object }[] }> };
        pricing: { additionalProperties: { required: string[]; additionalProperties: boolean } };
        missions: { additionalProperties: { properties: Record<string, unknown> } };
      };
    };
    const [name, table, chain] = schema.definitions.stageValue.anyOf;
    expect(name).toMatchObject({ type: 'string', minLength: 1 });
    expect(table).toMatchObject({
      type: 'object',
      required: ['runtime'],
      additionalProperties: false,
    });
    expect(Object.keys(table!.properties as object)).toEqual(['runtime', 'model', 'effort']);
    expect(chain).toMatchObject({ type: 'array', minItems: 1, maxItems: 5 });
    const profile = schema.properties.orchestrator.properties.runtime_profile!.anyOf!.find(
      (option) => option.properties,
    )!.properties as Record<string, unknown>;
    const reference = { allOf: [{ $ref: '#/definitions/stageValue' }] };
    expect(profile.default).toEqual(reference);
    expect(Object.values((profile.stages as { properties: object }).properties)).toEqual(
      Array(4).fill(reference),
    );
    expect(Object.keys(schema.properties.orchestrator.properties)).toContain('retry');
    expect(schema.properties.pricing.additionalProperties).toMatchObject({
      required: ['input', 'output'],
      additionalProperties: false,
    });
    expect(Object.keys(schema.properties.missions.additionalProperties.properties)).toEqual(
      expect.arrayContaining(['max_cost_usd', 'max_tokens', 'max_turns']),
    );
  });
});
