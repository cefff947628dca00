import { describe, expect, it } from 'vitest';
import type { RuntimeAdapter } from '../adapter/v2/spec.js';
import { runtimeUses } from '../resolve.js';
import { fakeAdapter } from '../test-support/fake-adapter.js';
import { config, load } from '../test-support/load-config.js';
import { effortCheck } from './effort.js';
import { runChecks } from './run-checks.js';

function adapter(id: string, efforts: readonly string[]): RuntimeAdapter {
  const base = fakeAdapter({ id, displayName: `Tool ${id}` });
  return { ...base, capabilities: { ...base.capabilities, efforts } };
}

const ROUTED = `
[orchestrator.runtime_profile]
default = [{ runtime = "opencode", effort = "max" }, "codex"]
[orchestrator.runtime_profile.stages]
interview = { runtime = "codex", effort = "high" }
execute = ["claude", { runtime = "codex", effort = "extreme" }]
evaluate = { runtime = "claude", effort = "low" }
`;

async function report(runtime: string, efforts: readonly string[]) {
  const uses = runtimeUses(config(load(ROUTED))).get(runtime) ?? [];
  const tool = adapter(runtime, efforts);
  const check = effortCheck(tool, uses);
  return runChecks({
    adapter: tool,
    probe: false,
    timeoutMs: 1000,
    extraChecks: check ? [check] : [],
    context: { settings: {}, profile: null, env: {}, cwd: '/', stages: [] },
  });
}

describe('effortCheck', () => {
  it('fails an effort the adapter does not accept, naming where it is set and the accepted values', async () => {
    const codex = await report('codex', ['low', 'medium', 'high']);
    expect(codex.status).toBe('fail');
    expect(codex.checks).toEqual([
      {
        id: 'effort',
        status: 'fail',
        summary:
          'Tool codex does not accept effort "extreme" at execute (fallback 1); accepted: low, medium, high',
        remediation:
          'Set effort to one of low, medium, high in orchestrator.runtime_profile.stages.execute, or remove it.',
        durationMs: expect.any(Number),
      },
    ]);
  });

  it('fails any effort for an adapter that takes none, naming default when it came from there', async () => {
    const opencode = await report('opencode', []);
    expect(opencode.status).toBe('fail');
    expect(opencode.checks[0]).toMatchObject({
      summary:
        'Tool opencode takes no reasoning effort, but the routing sets effort "max" at reflect',
      remediation: 'Remove effort from orchestrator.runtime_profile.default.',
    });
  });

  it('passes accepted efforts, and adds no check where no effort is asked', async () => {
    const claude = await report('claude-code', ['low', 'high']);
    expect(claude.status).toBe('pass');
    expect(claude.checks).toEqual([
      expect.objectContaining({
        id: 'effort',
        status: 'pass',
        summary: 'effort low at evaluate accepted',
      }),
    ]);
    expect(effortCheck(adapter('hermes', []), [])).toBeUndefined();
  });
});
