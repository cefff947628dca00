/**
 * Loads configuration: discover files, parse each, check its structure, normalise every
 * layer to one shape, check runtime names against the registry's vocabulary, then merge
 * (defaults < user file < project file < environment < command-line flags).
 * Every problem in every layer is collected; nothing is thrown for bad input.
 */
import { dirname, resolve } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { Environment, RuntimeSettings } from '../adapter/v1/spec.js';
import { BUILT_IN_MISSIONS, type Mission, type MissionStep } from '../mission.js';
import type { AdapterRegistry } from '../registry.js';
import { STAGES, type Stage } from '../stage.js';
import { closestMatch } from '../suggest.js';
import { entryExists, findProjectFile, userConfigPath } from './discover.js';
import { parseDuration } from './duration.js';
import { guardParsedTree } from './guard.js';
import { type ConfigIssue, IssueCollector } from './issues.js';
import { readTextFile } from './read-file.js';
import {
  type BatonFile,
  batonFileSchema,
  type MissionFile,
  type RuntimeSettingsFile,
} from './schema.js';
import type { BatonConfig, ContractOverride } from './types.js';
import { convertZodIssues, formatPath, reservedKeyIssue } from './zod-issues.js';

export const DEFAULT_RUNTIME_BACKEND = 'claude-code';

/** Values given on the command line; the highest layer. */
export interface ConfigFlags {
  readonly runtimeBackend?: string;
  readonly backendProfile?: string;
  /** `--stage interview=codex`, keyed by the stage name as typed. */
  readonly stages?: Readonly<Record<string, string>>;
}

export interface LoadConfigOptions {
  readonly cwd: string;
  readonly env: Environment;
  /** `--config FILE`; overrides `BATON_CONFIG` and discovery of the project file. */
  readonly configFile?: string;
  readonly flags?: ConfigFlags;
  /** The vocabulary runtime names are checked against. */
  readonly registry: AdapterRegistry;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: BatonConfig }
  | {
      readonly ok: false;
      /** The first MAX_REPORTED_ISSUES problems. */
      readonly issues: readonly ConfigIssue[];
      /** How many more problems were found and not kept (0 when `issues` holds them all). */
      readonly omitted: number;
      readonly files: readonly string[];
    };

/** A value with where it came from, so problems found after merging still name their source. */
interface Sourced<T> {
  readonly value: T;
  readonly source: string;
  readonly path: string;
}

interface Layer {
  runtimeBackend?: Sourced<string>;
  defaultRuntime?: Sourced<string>;
  backendProfile?: Sourced<string>;
  stages: Partial<Record<Stage, Sourced<string>>>;
  runtimes: Record<string, Sourced<RuntimeSettings>>;
  missions: Record<string, Mission>;
  contracts: Partial<Record<Stage, ContractOverride>>;
}

function emptyLayer(): Layer {
  return { stages: {}, runtimes: {}, missions: {}, contracts: {} };
}

export function loadConfig(options: LoadConfigOptions): ConfigResult {
  const issues = new IssueCollector();
  const files: string[] = [];
  const layers: Layer[] = [];

  // Anything bearing the user file's name is read (and refused if it is not a regular file).
  const userFile = userConfigPath(options.env);
  if (entryExists(userFile)) {
    files.push(userFile);
    layers.push(fileLayer(userFile, issues, options.registry));
  }

  const explicit = options.configFile ?? nonEmpty(options.env.BATON_CONFIG);
  let projectFile: string | undefined;
  let namedBy: NamedBy | undefined;
  if (explicit !== undefined) {
    projectFile = resolve(options.cwd, explicit);
    namedBy = {
      source:
        options.configFile !== undefined ? 'command line (--config)' : 'environment (BATON_CONFIG)',
      value: explicit,
    };
    if (!entryExists(projectFile)) {
      issues.add({
        ...namedBy,
        path: '',
        message: `config file not found: ${projectFile}`,
        kind: 'unreadable',
      });
      projectFile = undefined;
    }
  } else {
    projectFile = findProjectFile(options.cwd);
  }
  if (projectFile !== undefined) {
    files.push(projectFile);
    layers.push(fileLayer(projectFile, issues, options.registry, namedBy));
  }

  layers.push(environmentLayer(options.env, issues, options.registry));
  if (options.flags) layers.push(flagsLayer(options.flags, issues, options.registry));

  const merged = mergeLayers(layers);
  checkInstalled(merged, options.registry, issues);
  if (issues.count > 0) {
    return { ok: false, issues: issues.issues, omitted: issues.omitted, files };
  }

  const stages: Partial<Record<Stage, string>> = {};
  for (const stage of STAGES) {
    const chosen = merged.stages[stage];
    if (chosen) stages[stage] = chosen.value;
  }
  const runtimes: Record<string, RuntimeSettings> = {};
  for (const [id, settings] of Object.entries(merged.runtimes)) runtimes[id] = settings.value;

  return {
    ok: true,
    config: {
      runtimeBackend: merged.runtimeBackend?.value ?? DEFAULT_RUNTIME_BACKEND,
      defaultRuntime: merged.defaultRuntime?.value ?? null,
      backendProfile: merged.backendProfile?.value ?? null,
      stages,
      runtimes,
      missions: { ...merged.missions, ...BUILT_IN_MISSIONS },
      contracts: merged.contracts,
      files,
      projectRoot: projectFile !== undefined ? dirname(projectFile) : resolve(options.cwd),
    },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Where an explicitly named config file was named, so a refusal can say so. */
interface NamedBy {
  readonly source: string;
  readonly value: string;
}

function fileLayer(
  path: string,
  issues: IssueCollector,
  registry: AdapterRegistry,
  namedBy?: NamedBy,
): Layer {
  const read = readTextFile(path);
  if (!read.ok) {
    if (read.kind === 'encoding') {
      issues.add({
        source: path,
        path: '',
        message: read.reason,
        line: read.line,
        column: read.column,
        kind: 'syntax',
      });
    } else if (namedBy) {
      issues.add({ ...namedBy, path: '', message: `${path} ${read.reason}`, kind: 'unreadable' });
    } else {
      issues.add({ source: path, path: '', message: read.reason, kind: 'unreadable' });
    }
    return emptyLayer();
  }
  let raw: unknown;
  try {
    raw = parseToml(read.text);
  } catch (error) {
    if (error instanceof TomlError) {
      issues.add({
        source: path,
        path: '',
        message: `TOML syntax error: ${error.message.split('\n')[0]}`,
        line: error.line,
        column: error.column,
        kind: 'syntax',
      });
      return emptyLayer();
    }
    throw error;
  }
  const reservedKeys = guardParsedTree(raw, path, issues);
  const parsed = batonFileSchema.safeParse(raw);
  let file: BatonFile | undefined;
  if (parsed.success) {
    file = parsed.data;
  } else {
    convertZodIssues(parsed.error.issues, batonFileSchema, raw, path, issues);
    // Keep checking the rest of the file: drop what is broken and validate what remains, so
    // one pass reports every problem (a typo in a runtime name beside an unknown key).
    file = validRemainder(raw, parsed.error.issues);
  }
  const layer = file ? normaliseFile(file, raw, path, issues, registry) : emptyLayer();
  // zod drops `__proto__` from tables of names without a word; whatever no check above
  // reported is reported here, so no key the user wrote vanishes.
  for (const reserved of reservedKeys) {
    const issue = reservedKeyIssue(batonFileSchema, reserved, path);
    if (issue && !issues.hasKept(issue.source, issue.path)) issues.add(issue);
  }
  return layer;
}

const MAX_PRUNING_ROUNDS = 8;

/** The file with every key zod rejected removed, once what remains validates. */
function validRemainder(
  raw: unknown,
  firstIssues: readonly { path: readonly PropertyKey[]; code: string; keys?: readonly string[] }[],
): BatonFile | undefined {
  const current = structuredClone(raw);
  let issues = firstIssues;
  for (let round = 0; round < MAX_PRUNING_ROUNDS; round++) {
    for (const issue of issues) {
      const paths =
        issue.code === 'unrecognized_keys'
          ? (issue.keys ?? []).map((key) => [...issue.path, key])
          : [issue.path];
      for (const path of paths) removeAt(current, path);
    }
    const again = batonFileSchema.safeParse(current);
    if (again.success) return again.data;
    issues = again.error.issues;
  }
  return undefined;
}

function removeAt(root: unknown, path: readonly PropertyKey[]): void {
  if (path.length === 0) return;
  let parent = root;
  for (const part of path.slice(0, -1)) {
    if (typeof parent !== 'object' || parent === null) return;
    parent = (parent as Record<PropertyKey, unknown>)[part];
  }
  if (typeof parent !== 'object' || parent === null) return;
  const last = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
  else delete (parent as Record<PropertyKey, unknown>)[last];
}

function normaliseFile(
  file: BatonFile,
  raw: unknown,
  source: string,
  issues: IssueCollector,
  registry: AdapterRegistry,
): Layer {
  const layer = emptyLayer();
  const orchestrator = file.orchestrator;
  const runtimeName = (value: string | undefined, path: string): Sourced<string> | undefined =>
    value === undefined ? undefined : checkRuntimeName(value, source, path, issues, registry);

  layer.runtimeBackend = runtimeName(orchestrator?.runtime_backend, 'orchestrator.runtime_backend');
  const profile = orchestrator?.runtime_profile;
  if (typeof profile === 'string') {
    layer.backendProfile = { value: profile, source, path: 'orchestrator.runtime_profile' };
  } else if (profile !== undefined) {
    const base = 'orchestrator.runtime_profile';
    layer.defaultRuntime = runtimeName(profile.default, `${base}.default`);
    if (profile.backend_profile !== undefined) {
      layer.backendProfile = {
        value: profile.backend_profile,
        source,
        path: `${base}.backend_profile`,
      };
    }
    for (const stage of STAGES) {
      const chosen = runtimeName(profile.stages?.[stage], `${base}.stages.${stage}`);
      if (chosen) layer.stages[stage] = chosen;
    }
  }

  // The names as written, not as validated: validation drops some (`__proto__`) silently.
  const runtimes = file.runtimes ?? {};
  for (const name of tableKeys(raw, 'runtimes')) {
    const path = formatPath(['runtimes', name]);
    const id = checkRuntimeName(name, source, path, issues, registry, { asKey: true });
    const settings = Object.hasOwn(runtimes, name) ? runtimes[name] : undefined;
    if (id && settings)
      layer.runtimes[id.value] = { value: normaliseSettings(settings), source, path };
  }

  for (const [name, mission] of Object.entries(file.missions ?? {})) {
    if (Object.hasOwn(BUILT_IN_MISSIONS, name)) {
      issues.add({
        source,
        path: `missions.${name}`,
        message: `"${name}" is a built-in mission and cannot be redefined; choose another name`,
        kind: 'schema',
      });
      continue;
    }
    layer.missions[name] = normaliseMission(name, mission);
  }

  for (const stage of STAGES) {
    const contract = file.contracts?.[stage];
    if (!contract) continue;
    const override = readContract(contract, source, `contracts.${stage}`, issues);
    if (override) layer.contracts[stage] = override;
  }
  return layer;
}

/** The keys of the table at `key` in the parsed file, or none when it is not a table. */
function tableKeys(raw: unknown, key: string): string[] {
  const table = (raw as Record<string, unknown>)[key];
  return typeof table === 'object' && table !== null && !Array.isArray(table)
    ? Object.keys(table)
    : [];
}

function normaliseSettings(settings: RuntimeSettingsFile): RuntimeSettings {
  const result: Record<string, unknown> = {};
  if (settings.binary !== undefined) result.binary = settings.binary;
  if (settings.model !== undefined) result.model = settings.model;
  if (settings.base_url !== undefined) result.baseUrl = settings.base_url;
  if (settings.api_key_env !== undefined) result.apiKeyEnv = settings.api_key_env;
  if (settings.timeout !== undefined) result.timeoutMs = parseDuration(settings.timeout);
  if (settings.idle_timeout !== undefined)
    result.idleTimeoutMs = parseDuration(settings.idle_timeout);
  if (settings.config_path !== undefined) result.configPath = settings.config_path;
  return result as RuntimeSettings;
}

function normaliseMission(name: string, mission: MissionFile): Mission {
  const steps: MissionStep[] = mission.steps.map((step) =>
    typeof step === 'string'
      ? { kind: 'stage', stage: step }
      : { kind: 'human', question: step.human },
  );
  return { name, description: mission.description ?? '', steps, maxLoops: mission.max_loops ?? 0 };
}

function readContract(
  contract: { mode?: 'extend' | 'replace'; text?: string; file?: string },
  source: string,
  path: string,
  issues: IssueCollector,
): ContractOverride | undefined {
  const mode = contract.mode ?? 'extend';
  if (contract.text !== undefined) return { mode, text: contract.text, source };
  const file = resolve(dirname(source), contract.file ?? '');
  const read = readTextFile(file);
  if (!read.ok) {
    issues.add({
      source,
      path: `${path}.file`,
      value: contract.file,
      message: `${file} ${read.reason}`,
      kind: 'unreadable',
    });
    return undefined;
  }
  if (read.text.trim() === '') {
    issues.add({
      source,
      path: `${path}.file`,
      value: contract.file,
      message: `${file} is empty`,
      kind: 'schema',
    });
    return undefined;
  }
  return { mode, text: read.text, source: file };
}

/** Unknown names are errors in every layer; whether the adapter is installed is checked once merged. */
function checkRuntimeName(
  name: string,
  source: string,
  path: string,
  issues: IssueCollector,
  registry: AdapterRegistry,
  options: { asKey?: boolean } = {},
): Sourced<string> | undefined {
  const lookup = registry.lookup(name);
  switch (lookup.status) {
    case 'found':
    case 'not-installed':
    case 'rejected':
      return { value: lookup.id, source, path };
    case 'unknown':
      issues.add({
        source,
        path,
        value: options.asKey ? undefined : name,
        message: options.asKey ? `unknown runtime "${name}"` : 'unknown runtime',
        accepted: registry.vocabulary(),
        suggestion: lookup.suggestion,
        kind: 'runtime',
      });
      return undefined;
  }
}

const STAGE_VARIABLE = /^BATON_STAGE_(.+)$/;

function environmentLayer(
  env: Environment,
  issues: IssueCollector,
  registry: AdapterRegistry,
): Layer {
  const layer = emptyLayer();
  const variable = (name: string): string | undefined => {
    const value = env[name];
    if (value === undefined) return undefined;
    if (value.trim() === '') {
      issues.add({
        source: `environment (${name})`,
        path: '',
        value,
        message: 'is set but empty; unset it or give it a value',
        kind: 'schema',
      });
      return undefined;
    }
    return value.trim();
  };
  const backend = variable('BATON_RUNTIME_BACKEND');
  if (backend !== undefined) {
    layer.runtimeBackend = checkRuntimeName(
      backend,
      'environment (BATON_RUNTIME_BACKEND)',
      '',
      issues,
      registry,
    );
  }
  const profile = variable('BATON_RUNTIME_PROFILE');
  if (profile !== undefined) {
    layer.backendProfile = {
      value: profile,
      source: 'environment (BATON_RUNTIME_PROFILE)',
      path: '',
    };
  }
  for (const name of Object.keys(env).sort()) {
    const match = STAGE_VARIABLE.exec(name);
    if (!match) continue;
    const stageName = match[1]!.toLowerCase();
    const source = `environment (${name})`;
    if (!(STAGES as readonly string[]).includes(stageName)) {
      const suggestion = closestMatch(stageName, STAGES);
      issues.add({
        source,
        path: '',
        message: `"${stageName}" is not a stage`,
        accepted: STAGES.map((stage) => `BATON_STAGE_${stage.toUpperCase()}`),
        suggestion: suggestion ? `BATON_STAGE_${suggestion.toUpperCase()}` : undefined,
        kind: 'schema',
      });
      continue;
    }
    const value = variable(name);
    if (value === undefined) continue;
    const chosen = checkRuntimeName(value, source, '', issues, registry);
    if (chosen) layer.stages[stageName as Stage] = chosen;
  }
  return layer;
}

function flagsLayer(flags: ConfigFlags, issues: IssueCollector, registry: AdapterRegistry): Layer {
  const layer = emptyLayer();
  if (flags.runtimeBackend !== undefined) {
    layer.runtimeBackend = checkRuntimeName(
      flags.runtimeBackend,
      'command line (--runtime-backend)',
      '',
      issues,
      registry,
    );
  }
  if (flags.backendProfile !== undefined) {
    layer.backendProfile = {
      value: flags.backendProfile,
      source: 'command line (--backend-profile)',
      path: '',
    };
  }
  for (const [stageName, runtime] of Object.entries(flags.stages ?? {})) {
    const source = `command line (--stage ${stageName}=${runtime})`;
    const stage = stageName.trim().toLowerCase();
    if (!(STAGES as readonly string[]).includes(stage)) {
      issues.add({
        source,
        path: '',
        value: stageName,
        message: 'is not a stage',
        accepted: STAGES,
        suggestion: closestMatch(stage, STAGES),
        kind: 'schema',
      });
      continue;
    }
    const chosen = checkRuntimeName(runtime, source, '', issues, registry);
    if (chosen) layer.stages[stage as Stage] = chosen;
  }
  return layer;
}

function mergeLayers(layers: readonly Layer[]): Layer {
  const merged = emptyLayer();
  for (const layer of layers) {
    merged.runtimeBackend = layer.runtimeBackend ?? merged.runtimeBackend;
    merged.defaultRuntime = layer.defaultRuntime ?? merged.defaultRuntime;
    merged.backendProfile = layer.backendProfile ?? merged.backendProfile;
    Object.assign(merged.stages, layer.stages);
    for (const [id, settings] of Object.entries(layer.runtimes)) {
      const previous = merged.runtimes[id];
      merged.runtimes[id] = previous
        ? { ...settings, value: { ...previous.value, ...settings.value } }
        : settings;
    }
    Object.assign(merged.missions, layer.missions);
    Object.assign(merged.contracts, layer.contracts);
  }
  return merged;
}

/**
 * Runtimes the routing actually uses must have their adapter installed. Settings for an
 * uninstalled runtime that no stage uses are kept for later, not an error.
 */
function checkInstalled(merged: Layer, registry: AdapterRegistry, issues: IssueCollector): void {
  const used: Sourced<string>[] = [];
  for (const stage of STAGES) {
    const chosen = merged.stages[stage] ?? merged.defaultRuntime ?? merged.runtimeBackend;
    if (chosen) used.push(chosen);
  }
  const reported = new Set<string>();
  for (const chosen of used) {
    if (reported.has(chosen.value)) continue;
    const lookup = registry.lookup(chosen.value);
    if (lookup.status === 'not-installed') {
      reported.add(chosen.value);
      issues.add({
        source: chosen.source,
        path: chosen.path,
        value: chosen.value,
        message: `the adapter for "${lookup.id}" is not installed; install it with: npm install ${lookup.packageName}`,
        kind: 'adapter-not-installed',
      });
    } else if (lookup.status === 'rejected') {
      reported.add(chosen.value);
      issues.add({
        source: chosen.source,
        path: chosen.path,
        value: chosen.value,
        message: lookup.error.message,
        kind: 'adapter-not-installed',
      });
    }
  }
  // The built-in fallback counts too when nothing else routes a stage.
  const fallbackUsed = STAGES.some(
    (stage) => !merged.stages[stage] && !merged.defaultRuntime && !merged.runtimeBackend,
  );
  // With other problems present the fallback may only be in use because a broken value was
  // dropped; reporting it then would send the user after a phantom.
  if (fallbackUsed && issues.count === 0 && !reported.has(DEFAULT_RUNTIME_BACKEND)) {
    const lookup = registry.lookup(DEFAULT_RUNTIME_BACKEND);
    if (lookup.status === 'not-installed') {
      issues.add({
        source: 'built-in default',
        path: 'orchestrator.runtime_backend',
        value: DEFAULT_RUNTIME_BACKEND,
        message:
          `no runtime is configured, and the default "${DEFAULT_RUNTIME_BACKEND}" needs ${lookup.packageName}, ` +
          `which is not installed; install it (npm install ${lookup.packageName}) or set orchestrator.runtime_backend`,
        kind: 'adapter-not-installed',
      });
    }
  }
}
