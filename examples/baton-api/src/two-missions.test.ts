import { expect, it } from 'vitest';
import { twoMissions } from './two-missions.js';

it('runs two missions in one process, following one of them live', async () => {
  const lines: string[] = [];
  const results = await twoMissions((line) => lines.push(line));
  expect(results.map((result) => [result.mission, result.status])).toEqual([
    ['deliver', 'succeeded'],
    ['review', 'succeeded'],
  ]);
  expect(results[1]?.stages.evaluate?.verdict).toEqual({ outcome: 'pass' });
  expect(lines.slice(0, 4)).toEqual([
    'interview ended on litellm: succeeded',
    'execute ended on litellm: succeeded',
    'evaluate ended on litellm: succeeded',
    'reflect ended on litellm: succeeded',
  ]);
});
