// Writes baton.schema.json from the zod schema (via the build). Run: pnpm --filter @baton/core generate:schema
import { writeFileSync } from 'node:fs';
import { batonJsonSchemaText } from '../dist/config/json-schema.js';

writeFileSync(new URL('../baton.schema.json', import.meta.url), batonJsonSchemaText());
