/**
 * `baton doctor` against a runtime whose `--version` leaves a helper in a new session
 * (`setsid`) holding stdout: the built CLI reports the version at once instead of hanging
 * for the helper's life and calling the check timed out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fakeExecutable,
  installFakeAdapter,
  runCli,
  tempProject,
} from '../test-support/project.js';

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('baton doctor', () => {
  it('does not wait for a helper the runtime left in a new session holding stdout', () => {
    const root = tempProject({ 'baton.toml': '[orchestrator]\nruntime_backend = "alpha"\n' });
    installFakeAdapter(root, 'alpha');
    const pidFile = join(root, 'helper.pid');
    fakeExecutable(
      root,
      'fake-alpha',
      `setsid sleep 25 & h=$!; until [ "$(cut -d' ' -f6 /proc/$h/stat 2>/dev/null)" = "$h" ]; do sleep 0.01; done\necho $h > ${pidFile}\necho "fake 1.4.2"`,
    );
    const started = performance.now();
    const result = runCli(root, ['doctor', '--json']);
    const elapsed = performance.now() - started;
    const helper = Number(readFileSync(pidFile, 'utf8'));
    try {
      expect(result.status, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout);
      expect(report.runtimes[0]).toMatchObject({ id: 'alpha', status: 'pass', version: '1.4.2' });
      // The helper lives 25 s and still runs: doctor neither waited for it nor timed out.
      expect(running(helper)).toBe(true);
      expect(elapsed).toBeLessThan(12_000);
    } finally {
      try {
        process.kill(-helper, 'SIGKILL');
      } catch {}
    }
  }, 60_000);
});
