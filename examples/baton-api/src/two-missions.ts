/**
 * Two missions side by side in one program, each with its own abort signal, streaming the
 * journal's events as they happen. Offline: every stage goes through the LiteLLM adapter to
 * a scripted model server on loopback, so it runs anywhere without keys or spend.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunResult, runMission } from '@baton/cli';
import { startModelServer } from '@baton/testkit';

export async function twoMissions(log: (line: string) => void = console.log): Promise<RunResult[]> {
  const server = await startModelServer();
  server.script({ text: '(stage: evaluate)' }, [{ text: 'Checked.\nVERDICT: PASS' }]);
  const project = mkdtempSync(join(tmpdir(), 'baton-api-example-'));
  try {
    writeFileSync(
      join(project, 'baton.toml'),
      [
        '[orchestrator]',
        'runtime_backend = "litellm"',
        '[runtimes.litellm]',
        `base_url = "${server.url}"`,
        'model = "example-model"',
        '[missions.review]',
        'steps = ["execute", "evaluate"]',
      ].join('\n'),
    );
    const env = { PATH: process.env.PATH ?? '', HOME: project };
    const missions = [
      runMission({
        goal: 'Write the changelog',
        cwd: project,
        env,
        signal: new AbortController().signal,
      }),
      runMission({ goal: 'Review the changelog', mission: 'review', cwd: project, env }),
    ];
    // Follow the first mission's journal as it is written.
    for await (const event of missions[0]!.events) {
      if (event.type === 'agent.process.exited')
        log(`${event.payload.stage} ended on ${event.payload.runtime_id}: ${event.payload.status}`);
    }
    const results = await Promise.all(missions.map((mission) => mission.result));
    for (const result of results)
      log(
        `${result.runId} ${result.mission}: ${result.status}, ${result.usage.totalTokens} tokens`,
      );
    return results;
  } finally {
    rmSync(project, { recursive: true, force: true });
    await server.close();
  }
}
