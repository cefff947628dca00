/**
 * The example installed the way a user installs a third-party adapter: copied (as npm would
 * unpack it) into a project's `node_modules/baton-adapter-gemini`, next to `@baton/core`,
 * outside this repository. Then the registry and the built `baton` command must find it by
 * its manifest, and load its built module when a command needs behaviour.
 *
 * Needs the builds: `pnpm --filter @baton/core build`, `pnpm --filter baton-adapter-gemini
 * build`, `pnpm --filter @baton/cli build` (the root `pnpm test` builds everything first).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AdapterRegistry, SPECIFICATION_VERSION, STAGES } from '@baton/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GEMINI_IDENTITY } from './gemini-adapter.js';
import { tempDirectory, writeExecutable, writeTree } from './test-support/temp.js';

const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPOSITORY = join(PACKAGE_ROOT, '..', '..');
const CORE_PACKAGE = join(REPOSITORY, 'packages', 'core');
const CLI_BIN = join(REPOSITORY, 'packages', 'cli', 'bin', 'baton.js');

const BUILDS: readonly [string, string][] = [
  [join(CORE_PACKAGE, 'dist', 'index.js'), 'pnpm --filter @baton/core build'],
  [join(PACKAGE_ROOT, 'dist', 'index.js'), 'pnpm --filter baton-adapter-gemini build'],
  [
    join(REPOSITORY, 'packages', 'cli', 'dist', 'bundle', 'main.js'),
    'pnpm --filter @baton/cli build',
  ],
];

beforeAll(() => {
  const missing = BUILDS.filter(([path]) => !existsSync(path)).map(([, command]) => command);
  if (missing.length > 0) throw new Error(`Build first: ${missing.join(' && ')}`);
});

/** A project outside the repository with the example and core installed in its node_modules. */
function projectWithExample(files: Record<string, string> = {}): string {
  const project = tempDirectory('baton-gemini-project-');
  writeTree(project, files);
  const installed = join(project, 'node_modules', 'baton-adapter-gemini');
  mkdirSync(installed, { recursive: true });
  // What the package's `files` ship: package.json and dist without tests or fixtures.
  cpSync(join(PACKAGE_ROOT, 'package.json'), join(installed, 'package.json'));
  cpSync(join(PACKAGE_ROOT, 'dist'), join(installed, 'dist'), {
    recursive: true,
    filter: (source) => !/\.test\.|__fixtures__|test-support/.test(source),
  });
  mkdirSync(join(project, 'node_modules', '@baton'));
  symlinkSync(CORE_PACKAGE, join(project, 'node_modules', '@baton', 'core'), 'dir');
  return project;
}

/** Run inside the project: discovery, loading and one command, through the installed core. */
const LOAD_SCRIPT = `
import { AdapterRegistry } from '@baton/core';
import { adapterConformanceCases } from '@baton/core/testing';

const project = process.cwd();
const registry = new AdapterRegistry().discover([project]);
const adapter = await registry.load('gemini');
const command = adapter.buildCommand({
  stage: 'evaluate',
  prompt: 'Review the change.',
  contract: 'You are the Reviewer.',
  cwd: project,
  access: 'read-only',
  profile: 'worker',
  settings: { model: 'gemini-2.5-pro' },
  scratchDir: project + '/.baton/scratch',
  env: {},
});
const cases = adapterConformanceCases(adapter);
const conformanceFailures = [];
for (const check of cases) {
  try {
    await check.run();
  } catch (error) {
    conformanceFailures.push(check.name + ': ' + error.message);
  }
}
console.log(JSON.stringify({
  entryPoint: import.meta.resolve('baton-adapter-gemini'),
  core: import.meta.resolve('@baton/core'),
  lookup: registry.lookup('gemini_cli'),
  identity: adapter.identity,
  command,
  conformanceFailures,
  conformanceCases: cases.length,
}));
`;

const TOML = `
[orchestrator]
runtime_backend = "gemini"

[orchestrator.runtime_profile.stages]
evaluate = "gemini_cli"
`;

function runBaton(project: string, args: readonly string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [CLI_BIN, ...args], {
    cwd: project,
    encoding: 'utf8',
    env: {
      PATH: `${join(project, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: project,
      XDG_CONFIG_HOME: join(project, 'xdg'),
      ...env,
    },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('baton-adapter-gemini installed in a project', () => {
  it('is discovered by its manifest and found by id and aliases', () => {
    const project = projectWithExample();
    const installed = join(project, 'node_modules', 'baton-adapter-gemini');
    const registry = new AdapterRegistry().discover([join(project, 'src')]);
    expect(registry.ids()).toEqual(['gemini']);
    expect(registry.rejectedAdapters()).toEqual([]);
    const entry = registry.get('gemini')!;
    expect(entry.packageName).toBe('baton-adapter-gemini');
    expect(entry.location).toBe(installed);
    expect(entry.identity).toEqual({
      specificationVersion: SPECIFICATION_VERSION,
      ...GEMINI_IDENTITY,
    });
    for (const name of ['gemini', 'gemini-cli', 'gemini_cli', 'Google-Gemini']) {
      expect(registry.lookup(name)).toEqual({ status: 'found', id: 'gemini' });
    }
  });

  it('is loaded from the install by a plain Node process, and works', () => {
    // Vitest runs tests with the `@baton/source` export condition (sources, not builds), so
    // loading is checked in a child process with Node's default conditions, like a user's.
    const project = projectWithExample({ 'check.mjs': LOAD_SCRIPT });
    const installed = join(project, 'node_modules', 'baton-adapter-gemini');
    const child = spawnSync(process.execPath, ['check.mjs'], {
      cwd: project,
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', HOME: project },
      timeout: 60_000,
    });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const report = JSON.parse(child.stdout);
    const scratch = join(project, '.baton', 'scratch');
    expect(report).toEqual({
      entryPoint: pathToFileURL(join(installed, 'dist', 'index.js')).href,
      core: pathToFileURL(join(CORE_PACKAGE, 'dist', 'index.js')).href,
      lookup: { status: 'found', id: 'gemini' },
      identity: GEMINI_IDENTITY,
      command: {
        file: 'gemini',
        args: [
          '--output-format',
          'stream-json',
          '--approval-mode',
          'default',
          '--model',
          'gemini-2.5-pro',
          '--extensions',
          'baton-worker',
        ],
        env: { GEMINI_SYSTEM_MD: join(scratch, 'gemini-system.md') },
        cwd: project,
        stdin: 'Review the change.',
        inputFiles: {
          [join(scratch, 'gemini-system.md')]:
            // biome-ignore lint/suspicious/noTemplateCurlyInString: Gemini CLI's own placeholder.
            'You are the Reviewer.\n\n## Tools\n\nThe tools available to you in this run: ${AvailableTools}\n',
        },
      },
      conformanceFailures: [],
      conformanceCases: expect.any(Number),
    });
    expect(report.conformanceCases).toBeGreaterThanOrEqual(11);
  });

  it('is not found without its install: the registry knows no such runtime and names the package to install', () => {
    const project = tempDirectory('baton-gemini-empty-');
    const registry = new AdapterRegistry().discover([project]);
    expect(registry.ids()).toEqual([]);
    expect(registry.lookup('gemini')).toEqual({
      status: 'unknown',
      suggestion: undefined,
      adapterPackage: 'baton-adapter-gemini',
    });
  });

  it('routes stages for the built baton command (`baton stages --json`)', () => {
    const project = projectWithExample({ 'baton.toml': TOML });
    const result = runBaton(project, ['stages', '--json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const routed = (source: string) => ({
      runtime: 'gemini',
      source,
      model: null,
      modelSource: 'harness',
      effort: null,
      chain: [{ runtime: 'gemini', model: null, modelSource: 'harness', effort: null }],
    });
    expect(JSON.parse(result.stdout)).toEqual({
      stages: {
        interview: routed('fallback'),
        execute: routed('fallback'),
        evaluate: routed('stage'),
        reflect: routed('fallback'),
      },
      backendProfile: null,
      configFiles: [join(project, 'baton.toml')],
    });
  });

  it('suggests the installed id for a typo in baton.toml', () => {
    const project = projectWithExample({
      'baton.toml': TOML.replace('"gemini_cli"', '"gemnii"'),
    });
    const result = runBaton(project, ['stages', '--json']);
    expect(result.status).toBe(2);
    const issue = JSON.parse(result.stdout).error.issues[0];
    expect(issue).toMatchObject({
      path: 'orchestrator.runtime_profile.stages.evaluate',
      value: 'gemnii',
      suggestion: 'gemini',
    });
  });

  it('loads and checks it for `baton doctor --probe --json` (a stand-in gemini binary)', () => {
    const project = projectWithExample({ 'baton.toml': TOML });
    writeExecutable(
      join(project, 'bin', 'gemini'),
      [
        'if [ "$1" = "--version" ]; then echo 0.56.0; exit 0; fi',
        'cat > /dev/null',
        `echo '{"type":"init","timestamp":"t","session_id":"s-1","model":"gemini-2.5-flash"}'`,
        `echo '{"type":"message","timestamp":"t","role":"assistant","content":"OK","delta":true}'`,
        `echo '{"type":"result","timestamp":"t","status":"success"}'`,
      ].join('\n'),
    );
    const result = runBaton(project, ['doctor', '--probe', '--json'], { GEMINI_API_KEY: 'key' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(true);
    expect(report.runtimes).toHaveLength(1);
    expect(report.runtimes[0]).toMatchObject({
      id: 'gemini',
      stages: [...STAGES],
      status: 'pass',
      version: '0.56.0',
    });
    expect(
      report.runtimes[0].checks.map((check: { id: string; status: string }) => [
        check.id,
        check.status,
      ]),
    ).toEqual([
      ['binary', 'pass'],
      ['version', 'pass'],
      ['auth', 'pass'],
      ['profile', 'skip'],
      ['probe', 'pass'],
    ]);
  });
});
