/**
 * A stage killed mid-run (as `kill -9` of Baton kills its process group) continues in its
 * Claude Code session: the real pinned `claude` 2.1.330, resumed with the session id the
 * decoder reported from the first line, sends the killed run's work to the model again.
 */
import { createClaudeCodeAdapter } from '@baton/claude-code';
import { delay } from '@baton/testkit';
import { describe, expect, it } from 'vitest';
import { useModelServer, useSandbox } from '../test-hooks.js';
import { createSandbox, KEY, runStage, stageRequest } from './support.js';

const adapter = createClaudeCodeAdapter();
const server = useModelServer({ apiKey: KEY });
const sandbox = useSandbox(createSandbox);

describe('claude 2.1.330 resumes a killed stage in its session', () => {
  it('the session announced before the kill carries the killed run’s tool call into the resumed run', async () => {
    const model = 'killed-model';
    // The first run calls a tool, then waits for an answer that comes too late.
    server().script({ model, text: 'Write the marker' }, [
      { toolCall: { command: 'printf killed-run-output > marker.txt && cat marker.txt' } },
      delay(60_000, { text: 'too late' }),
    ]);
    // The resumed run's requests carry the continuation prompt (the latest route wins) and
    // are answered at once. Its conversation already holds one model turn, the tool call.
    server().script({ model, text: 'Continue the stage' }, [
      { text: 'not reached' },
      { text: 'Continued after the kill.' },
    ]);
    const first = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, {
        model,
        prompt: 'Write the marker.',
        access: 'workspace-write',
      }),
      6_000,
    );
    expect(first.timedOut).toBe(true);
    expect(first.exit.signal).toBe('SIGKILL');
    const sessionId = first.events.find((event) => event.type === 'session');
    expect(sessionId).toBeDefined();
    const id = sessionId!.type === 'session' ? sessionId!.sessionId : '';
    expect(first.outcome).toMatchObject({ status: 'failed', sessionId: id });
    expect(
      first.events
        .filter((event) => event.type === 'tool-use')
        .map((event) => event.type === 'tool-use' && event.status),
    ).toEqual(['started', 'completed']);

    const before = server().requests.length;
    const second = await runStage(
      adapter,
      stageRequest(sandbox(), server().url, {
        model,
        prompt: 'Continue the stage where it stopped.',
        access: 'workspace-write',
        resumeSessionId: id,
      }),
    );
    expect(second.command.args.slice(-2)).toEqual(['--resume', id]);
    expect(second.outcome).toMatchObject({
      status: 'succeeded',
      finalText: 'Continued after the kill.',
      sessionId: id,
    });
    const resumed = server()
      .requests.slice(before)
      .filter((request) => request.endpoint === 'messages' && request.model === model);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]!.text).toContain('Write the marker.');
    expect(resumed[0]!.text).toContain('printf killed-run-output > marker.txt');
    expect(resumed[0]!.text).toContain('killed-run-output');
    expect(resumed[0]!.text).toContain('Continue the stage where it stopped.');
  });
});
