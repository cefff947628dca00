/**
 * Temp projects for CLI tests: a baton.toml, a third-party adapter package installed in the
 * project's node_modules (discovered like a real one), and fake runtime executables.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
export const CLI_BIN = join(here, '..', '..', 'bin', 'baton.js');
const CORE_PACKAGE = join(here, '..', '..', '..', 'core');

const created: string[] = [];
afterEach(() => {
  for (const directory of created.splice(0)) rmSync(directory, { recursive: true, force: true });
});

export function tempProject(files: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'baton-cli-'));
  created.push(root);
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'xdg'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

/**
 * Installs `baton-adapter-<id>` into the project: a real package using core's doctor checks.
 * With `efforts`, it is a specification-v2 adapter declaring those reasoning efforts;
 * without, a v1 adapter (which the registry upgrades, with no efforts).
 */
export function installFakeAdapter(
  root: string,
  id: string,
  options: { aliases?: string[]; tested?: string; efforts?: readonly string[] } = {},
): void {
  const directory = join(root, 'node_modules', `baton-adapter-${id}`);
  mkdirSync(directory, { recursive: true });
  const coreLink = join(root, 'node_modules', '@baton', 'core');
  try {
    mkdirSync(dirname(coreLink), { recursive: true });
    symlinkSync(CORE_PACKAGE, coreLink, 'dir');
  } catch {
    // Already linked for another fake adapter.
  }
  const identity = {
    id,
    aliases: options.aliases ?? [],
    displayName: `Fake ${id}`,
    binary: `fake-${id}`,
    testedVersions: options.tested ?? '>=1.0.0 <2.0.0',
    contractChannel: 'stdin preamble',
  };
  const specificationVersion =
    options.efforts === undefined ? 'baton-adapter-v1' : 'baton-adapter-v2';
  const capabilities =
    options.efforts === undefined
      ? ''
      : `capabilities: ${JSON.stringify({
          resumeSession: false,
          efforts: options.efforts,
          costCap: false,
          turnCap: false,
          reportsCost: false,
        })},`;
  writeFileSync(
    join(directory, 'package.json'),
    JSON.stringify({
      name: `baton-adapter-${id}`,
      version: '1.0.0',
      type: 'module',
      exports: { '.': './index.js' },
      baton: { adapter: { specificationVersion, ...identity } },
    }),
  );
  writeFileSync(
    join(directory, 'index.js'),
    `import { binaryCheck, versionCheck } from '@baton/core/doctor';
const identity = ${JSON.stringify(identity)};
export default {
  specificationVersion: '${specificationVersion}',
  identity,
  ${capabilities}
  profile: { nativeName: (p) => 'baton-' + p, describe: (p) => 'baton-' + p },
  doctorChecks: () => [
    binaryCheck({ identity, installHint: 'install fake-${id}' }),
    versionCheck({ identity }),
    { id: 'probe', probe: true, dependsOn: ['version'], run: async () => ({ status: 'pass', summary: 'probe answered' }) },
  ],
  buildCommand: (r) => ({ file: identity.binary, args: [], env: {}, cwd: r.cwd, stdin: r.prompt }),
  createDecoder: () => ({ push: () => [], finish: () => ({ status: 'succeeded' }) }),
  nativeConfig: { plan: async () => [], planRevert: async () => [] },
};
`,
  );
}

/** A fake runtime executable in the project's bin/ (put on PATH by `runCli`). */
export function fakeExecutable(root: string, name: string, script: string): void {
  const path = join(root, 'bin', name);
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
}

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI in `cwd` with a controlled environment. */
export function runCli(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
): CliResult {
  const result = spawnSync(process.execPath, [CLI_BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: `${join(cwd, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: cwd,
      XDG_CONFIG_HOME: join(cwd, 'xdg'),
      ...env,
    },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
