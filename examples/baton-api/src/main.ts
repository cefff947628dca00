import { twoMissions } from './two-missions.ts';

const results = await twoMissions();
process.exitCode = results.every((result) => result.status === 'succeeded') ? 0 : 1;
