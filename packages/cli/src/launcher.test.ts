import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { findOldNode, MINIMUM_NODE, type OldNode } from './test-support/old-node.js';
import { CLI_BIN, tempProject } from './test-support/project.js';

const REPOSITORY = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function run(file: string, args: readonly string[], env: Record<string, string> = {}) {
  const result = spawnSync(file, args, {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', ...env },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const refusal = (version: string) =>
  `baton needs Node.js ≥ 22.13 (found ${version}); install Node.js 24 LTS and run baton with it.\n`;

/**
 * A copy of the real launcher beside a stand-in bundle that records being loaded, so a test
 * can tell whether the launcher loaded anything before it refused.
 */
function launcherWithRecordingBundle(): { launcher: string; marker: string } {
  const root = tempProject({
    'package.json': '{ "type": "module" }\n',
    'dist/bundle/main.js':
      "import { writeFileSync } from 'node:fs';\n" +
      "writeFileSync(new URL('../../bundle-loaded', import.meta.url), 'loaded');\n" +
      'export async function main() { return 7; }\n',
  });
  mkdirSync(join(root, 'bin'), { recursive: true });
  const launcher = join(root, 'bin', 'baton.js');
  copyFileSync(CLI_BIN, launcher);
  return { launcher, marker: join(root, 'bundle-loaded') };
}

describe('bin/baton.js, the launcher, under a Node.js older than 22.13', () => {
  let oldNode: OldNode;
  beforeAll(() => {
    oldNode = findOldNode();
  }, 180_000);

  it(`runs on a real old Node (older than ${MINIMUM_NODE})`, () => {
    expect(run(oldNode.path, ['--version']).stdout).toBe(`v${oldNode.version}\n`);
  });

  it.each(['--version', 'runs', 'stages --json'])(
    'baton %s: one line naming the version and the fix, exit 1, nothing on stdout',
    (command) => {
      const result = run(oldNode.path, [CLI_BIN, ...command.split(' ')]);
      expect(result.stderr).toBe(refusal(oldNode.version));
      expect(result.stdout).toBe('');
      expect(result.status).toBe(1);
    },
  );

  it('refuses before anything else loads (the same launcher on this Node loads the bundle)', () => {
    const old = launcherWithRecordingBundle();
    const refused = run(oldNode.path, [old.launcher, 'runs']);
    expect(refused.stderr).toBe(refusal(oldNode.version));
    expect(refused.status).toBe(1);
    expect(existsSync(old.marker)).toBe(false);

    const current = launcherWithRecordingBundle();
    const ran = run(process.execPath, [current.launcher, 'runs']);
    expect(ran.stderr).toBe('');
    expect(ran.status).toBe(7);
    expect(existsSync(current.marker)).toBe(true);
  });

  it('is started through its `#!/usr/bin/env node` line with the old Node first on PATH', () => {
    const result = run(CLI_BIN, ['--version'], { PATH: `${dirname(oldNode.path)}:/usr/bin:/bin` });
    expect(result.stderr).toBe(refusal(oldNode.version));
    expect(result.status).toBe(1);
  });

  it("the workspace's node_modules/.bin/baton uses the workspace's own Node, else refuses clearly", () => {
    // pnpm's command shim runs node_modules/.bin/node when it is there: the root package's
    // pinned Node, installed where the npm registry has a build for the platform.
    const shim = join(REPOSITORY, 'node_modules', '.bin', 'baton');
    const result = run(shim, ['--version'], { PATH: `${dirname(oldNode.path)}:/usr/bin:/bin` });
    if (existsSync(join(REPOSITORY, 'node_modules', '.bin', 'node'))) {
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/^baton \d+\.\d+\.\d+\n$/);
      expect(result.status).toBe(0);
    } else {
      expect(result.stderr).toBe(refusal(oldNode.version));
      expect(result.status).toBe(1);
    }
  });
});
