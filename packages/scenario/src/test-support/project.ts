/**
 * A temporary project for scenario tests: a baton.toml, scenario files, and the adapters
 * installed beside this package (discovered like a user's), loaded the way `baton test` loads.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdapterRegistry, type BatonConfig, loadConfig } from '@baton/core';
import { discoverScenarios } from '../discover.js';
import type { RuntimeMode } from '../run-scenario.js';
import { runSuite, type SuiteReport } from '../suite.js';

const packageDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export class ScenarioProject {
  readonly root = mkdtempSync(join(tmpdir(), 'baton-scenario-'));
  readonly registry = new AdapterRegistry().discover([packageDirectory]);
  private readonly kept: string[] = [];

  write(files: Record<string, string>): this {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(this.root, path)), { recursive: true });
      writeFileSync(join(this.root, path), content);
    }
    return this;
  }

  config(): BatonConfig {
    const loaded = loadConfig({ cwd: this.root, env: this.env(), registry: this.registry });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues, null, 2));
    return loaded.config;
  }

  /** The caller's environment: only what finding programs needs (and no credentials). */
  env(): Record<string, string> {
    return {
      PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: join(this.root, 'home'),
      XDG_CONFIG_HOME: join(this.root, 'xdg'),
    };
  }

  async test(
    options: {
      paths?: string[];
      mode?: RuntimeMode;
      update?: boolean;
      jobs?: number;
      keep?: boolean;
    } = {},
  ): Promise<SuiteReport> {
    const report = await runSuite({
      files: discoverScenarios(options.paths ?? [], this.root),
      cwd: this.root,
      lockDirectory: this.root,
      config: this.config(),
      registry: this.registry,
      env: this.env(),
      mode: options.mode ?? 'fake',
      ...(options.update === undefined ? {} : { update: options.update }),
      ...(options.jobs === undefined ? {} : { jobs: options.jobs }),
      ...(options.keep === undefined ? {} : { keep: options.keep }),
    });
    for (const outcome of report.outcomes) {
      if (outcome.run?.workspace) this.kept.push(dirname(outcome.run.workspace));
    }
    return report;
  }

  remove(): void {
    for (const directory of this.kept.splice(0))
      rmSync(directory, { recursive: true, force: true });
    rmSync(this.root, { recursive: true, force: true });
  }
}
