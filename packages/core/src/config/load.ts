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
import { type AdapterRegistry, adapterHint } from '../registry.js';
import { STAGES, type Stage } from '../stage.js';
import { closestMatch } from '../suggest.js';
import { entryExists, findProjectFile, userConfigPath } from './discover.js';
import { parseDuration } from './duration.js';
import { guardParsedTree } from './guard.js';
import { type ConfigIssue, IssueCollector } from './issues.js';
import { readTextFile } from './read-file.js';
import { DEFAULT_BRANCH_PREFIX, DEFAULT_DATABASE_URL_ENV } from './scale.js';
import {
  type BatonFile,
  batonFileSchema,
  MAX_CHAIN_LENGTH,
  type MissionFile,
  type ModelPriceFile,
  type RetryFile,
  type RuntimeSettingsFile,
  type ScaleFile,
  stageTargetTableSchema,
} from './schema.js';
import type {
  BatonConfig,
  ContractOverride,
  ModelPrice,
  RetrySettings,
  ScaleSettings,
  StageTarget,
} from './types.js';
import { locateWorkspace } from './workspace.js';
import { convertZodIssues, formatPath, reservedKeyIssue, valueAt } from './zod-issues.js';

export const DEFAULT_RUNTIME_BACKEND = 'claude-code';

/** `[orchestrator.retry]` when nothing sets it. */
export const DEFAULT_RETRY_SETTINGS: RetrySettings = Object.freeze({
  maxRetries: 2,
  baseDelayMs: 2000,
  maxDelayMs: 60_000,
  rateLimitRetries: 3,
});

/** Values given on the command line; the highest layer. */
export interface ConfigFlags {
  readonly runtimeBackend?: string;
  readonly backendProfile?: string;
  /**
   * `--stage interview=codex` (or a chain, `--stage execute=codex,claude-code`), keyed by the
   * stage name as typed.
   */
  readonly stages?: Readonly<Record<string, string>>;
}

export interface LoadConfigOptions {
  readonly cwd: string;
  readonly env: Environment;
  /** `--config FILE`; overrides `BATON_CONFIG` and discovery of the project file. */
  readonly configFile?: string;
  /**
   * `--workspace DIR`: the project to work in (default: found from `cwd`, see
   * `locateWorkspace`). Its `baton.toml` is discovered from there instead of from `cwd`.
   */
  readonly workspace?: string;
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

/** A stage's chain as one layer gives it; each target's `path` is where its runtime is named. */
type SourcedChain = readonly Sourced<StageTarget>[];

interface Layer {
  runtimeBackend?: Sourced<string>;
  defaultTargets?: SourcedChain;
  backendProfile?: Sourced<string>;
  stages: Partial<Record<Stage, SourcedChain>>;
  /** Merged key by key, like `[runtimes.<id>]`; each with its value as written. */
  retry: Partial<Record<keyof RetrySettings, Sourced<number> & { readonly written: unknown }>>;
  /** Merged model by model: a price is one unit, never half the user's and half the project's. */
  pricing: Record<string, ModelPrice>;
  runtimes: Record<string, Sourced<RuntimeSettings>>;
  missions: Record<string, Mission>;
  contracts: Partial<Record<Stage, ContractOverride>>;
  /** One unit: a project file's `[scale]` replaces the user file's whole. */
  scale?: ScaleSettings;
}

function emptyLayer(): Layer {
  return { stages: {}, retry: {}, pricing: {}, runtimes: {}, missions: {}, contracts: {} };
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
    projectFile = findProjectFile(
      options.workspace === undefined ? options.cwd : resolve(options.cwd, options.workspace),
    );
  }
  if (projectFile !== undefined) {
    files.push(projectFile);
    layers.push(fileLayer(projectFile, issues, options.registry, namedBy));
  }

  layers.push(environmentLayer(options.env, issues, options.registry));
  if (options.flags) layers.push(flagsLayer(options.flags, issues, options.registry));

  const merged = mergeLayers(layers);
  checkInstalled(merged, options.registry, issues);
  const retry = mergedRetry(merged, issues);
  if (issues.count > 0) {
    return { ok: false, issues: issues.issues, omitted: issues.omitted, files };
  }

  const targets = (chain: SourcedChain) => chain.map((target) => target.value);
  const stages: Partial<Record<Stage, readonly StageTarget[]>> = {};
  for (const stage of STAGES) {
    const chosen = merged.stages[stage];
    if (chosen) stages[stage] = targets(chosen);
  }
  const runtimes: Record<string, RuntimeSettings> = {};
  for (const [id, settings] of Object.entries(merged.runtimes)) runtimes[id] = settings.value;

  return {
    ok: true,
    config: {
      runtimeBackend: merged.runtimeBackend?.value ?? DEFAULT_RUNTIME_BACKEND,
      defaultTargets: merged.defaultTargets ? targets(merged.defaultTargets) : null,
      backendProfile: merged.backendProfile?.value ?? null,
      stages,
      retry,
      pricing: merged.pricing,
      runtimes,
      missions: { ...merged.missions, ...BUILT_IN_MISSIONS },
      contracts: merged.contracts,
      scale: merged.scale ?? null,
      files,
      // Where the run works and journals: the workspace, whichever file configured it.
      projectRoot: locateWorkspace({ cwd: options.cwd, workspace: options.workspace }),
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
  } else if (profile !== undefined && profile.backend_profile !== undefined) {
    layer.backendProfile = {
      value: profile.backend_profile,
      source,
      path: 'orchestrator.runtime_profile.backend_profile',
    };
  }
  // Stage values are read as written, not from what validation kept: dropping a broken entry
  // of a chain would shift its neighbours' positions, and every name must be checked where it is.
  const chainAt = (path: readonly string[]) => {
    const value = valueAt(raw, path);
    return value === undefined
      ? undefined
      : fileChain(value, source, formatPath(path), issues, registry);
  };
  const base = ['orchestrator', 'runtime_profile'];
  layer.defaultTargets = chainAt([...base, 'default']);
  for (const stage of STAGES) {
    const chosen = chainAt([...base, 'stages', stage]);
    if (chosen) layer.stages[stage] = chosen;
  }
  if (orchestrator?.retry !== undefined) {
    layer.retry = normaliseRetry(orchestrator.retry, source, 'orchestrator.retry');
  }
  for (const [model, price] of Object.entries(file.pricing ?? {})) {
    layer.pricing[model] = normalisePrice(price);
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
  if (file.scale !== undefined) layer.scale = normaliseScale(file.scale, source);
  return layer;
}

function normaliseScale(scale: ScaleFile, source: string): ScaleSettings {
  return {
    databaseUrl: scale.database_url ?? null,
    databaseUrlEnv: scale.database_url_env ?? DEFAULT_DATABASE_URL_ENV,
    applicationVersion: scale.application_version,
    // The schema has checked that the chosen strategy's table is there.
    workspace:
      scale.workspace === 'git'
        ? {
            strategy: 'git',
            remote: scale.git!.remote,
            branchPrefix: scale.git!.branch_prefix ?? DEFAULT_BRANCH_PREFIX,
          }
        : { strategy: 'shared-path', root: scale.shared_path!.root },
    source,
  };
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
  return {
    name,
    description: mission.description ?? '',
    steps,
    maxLoops: mission.max_loops ?? 0,
    budget: { maxCostUsd: mission.max_cost_usd ?? null, maxTokens: mission.max_tokens ?? null },
    maxTurns: mission.max_turns ?? null,
  };
}

const RETRY_KEYS = {
  max_retries: 'maxRetries',
  base_delay: 'baseDelayMs',
  max_delay: 'maxDelayMs',
  rate_limit_retries: 'rateLimitRetries',
} as const satisfies Record<keyof RetryFile, keyof RetrySettings>;

function normaliseRetry(retry: RetryFile, source: string, path: string): Layer['retry'] {
  const result: Layer['retry'] = {};
  for (const [key, name] of Object.entries(RETRY_KEYS) as [
    keyof RetryFile,
    keyof RetrySettings,
  ][]) {
    const value = retry[key];
    if (value === undefined) continue;
    const number = typeof value === 'string' ? parseDuration(value) : value;
    if (number !== undefined) {
      result[name] = { value: number, written: value, source, path: `${path}.${key}` };
    }
  }
  return result;
}

function normalisePrice(price: ModelPriceFile): ModelPrice {
  return {
    inputPerMTok: price.input,
    cachedInputPerMTok: price.cached_input ?? price.input,
    outputPerMTok: price.output,
    reasoningPerMTok: price.reasoning ?? price.output,
  };
}

/**
 * `[orchestrator.retry]` after layering. The schema checks each file's own pair of delays;
 * this catches a pair split across layers (a short `max_delay` in the project file under a
 * user file's longer `base_delay`).
 */
function mergedRetry(merged: Layer, issues: IssueCollector): RetrySettings {
  const value = (key: keyof RetrySettings) =>
    merged.retry[key]?.value ?? DEFAULT_RETRY_SETTINGS[key];
  const retry: RetrySettings = {
    maxRetries: value('maxRetries'),
    baseDelayMs: value('baseDelayMs'),
    maxDelayMs: value('maxDelayMs'),
    rateLimitRetries: value('rateLimitRetries'),
  };
  if (retry.baseDelayMs > retry.maxDelayMs) {
    const culprit = merged.retry.maxDelayMs ?? merged.retry.baseDelayMs!;
    issues.add({
      source: culprit.source,
      path: culprit.path,
      value: culprit.written,
      message:
        `leaves base_delay (${retry.baseDelayMs} ms) longer than max_delay (${retry.maxDelayMs} ms)` +
        `${merged.retry.maxDelayMs ? '' : ', the default'}; make base_delay at most max_delay`,
      kind: 'schema',
    });
  }
  return retry;
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
        // Canonical ids only: aliases are accepted too, and listed in the docs.
        accepted: registry.canonicalIds(),
        suggestion: lookup.suggestion,
        ...(lookup.adapterPackage ? { hint: adapterHint(name, lookup.adapterPackage) } : {}),
        kind: 'runtime',
      });
      return undefined;
  }
}

/** One entry of a chain as written: the runtime's name and what was written beside it. */
interface ChainEntry {
  readonly name: string;
  readonly model: string | null;
  readonly effort: string | null;
  /** Where the entry is (`….stages.execute[1]`); its name is there or under `.runtime`. */
  readonly path: string;
  readonly namePath: string;
}

/**
 * A stage's (or default's) value from a file, as written. Entries the schema refused are
 * reported by the schema pass and skipped here; the rest have their names checked at their
 * own positions. The chain is kept only when every entry is good.
 */
function fileChain(
  value: unknown,
  source: string,
  path: string,
  issues: IssueCollector,
  registry: AdapterRegistry,
): SourcedChain | undefined {
  const items = Array.isArray(value) ? value : [value];
  const entries: ChainEntry[] = [];
  let wellFormed = 0;
  // A chain longer than allowed is reported as such; names past the limit are not looked up.
  for (const [index, item] of items.slice(0, MAX_CHAIN_LENGTH).entries()) {
    const at = Array.isArray(value) ? `${path}[${index}]` : path;
    if (typeof item === 'string') {
      const name = item.trim();
      if (name === '') continue;
      entries.push({ name, model: null, effort: null, path: at, namePath: at });
      wellFormed += 1;
      continue;
    }
    const table = stageTargetTableSchema.safeParse(item);
    if (table.success) wellFormed += 1;
    // A table with another problem (an unknown key) still has its runtime name checked.
    const name = table.success ? table.data.runtime : valueAt(item, ['runtime']);
    if (typeof name !== 'string' || name.trim() === '' || Array.isArray(item)) continue;
    entries.push({
      name: name.trim(),
      model: table.success ? (table.data.model ?? null) : null,
      effort: table.success ? (table.data.effort ?? null) : null,
      path: at,
      namePath: `${at}.runtime`,
    });
  }
  const chain = checkChain(entries, source, issues, registry);
  const complete =
    items.length >= 1 &&
    items.length <= MAX_CHAIN_LENGTH &&
    wellFormed === items.length &&
    chain.length === items.length;
  return complete ? chain : undefined;
}

/**
 * A chain given as text, `codex,claude-code` (`BATON_STAGE_<STAGE>`, `--stage`): names only,
 * comma-separated. Positions are named `[0]`, `[1]`, … when there is more than one.
 */
function textChain(
  text: string,
  source: string,
  issues: IssueCollector,
  registry: AdapterRegistry,
): SourcedChain | undefined {
  const names = text.split(',').map((name) => name.trim());
  if (names.some((name) => name === '')) {
    issues.add({
      source,
      path: '',
      value: text,
      message:
        'has an empty runtime name; give one name, or names separated by single commas, e.g. "codex,claude-code"',
      kind: 'schema',
    });
    return undefined;
  }
  if (names.length > MAX_CHAIN_LENGTH) {
    issues.add({
      source,
      path: '',
      value: text,
      message: `may list at most ${MAX_CHAIN_LENGTH} runtimes, found ${names.length}`,
      kind: 'schema',
    });
    return undefined;
  }
  const entries = names.map((name, index) => {
    const at = names.length === 1 ? '' : `[${index}]`;
    return { name, model: null, effort: null, path: at, namePath: at };
  });
  const chain = checkChain(entries, source, issues, registry);
  return chain.length === entries.length ? chain : undefined;
}

/**
 * Checks every name of a chain against the vocabulary, then that no runtime appears twice
 * (aliases included: `claude` and `claude-code` are one runtime). Returns the good entries.
 */
function checkChain(
  entries: readonly ChainEntry[],
  source: string,
  issues: IssueCollector,
  registry: AdapterRegistry,
): Sourced<StageTarget>[] {
  const chain: Sourced<StageTarget>[] = [];
  const firstAt = new Map<string, string>();
  for (const entry of entries) {
    const checked = checkRuntimeName(entry.name, source, entry.namePath, issues, registry);
    if (!checked) continue;
    const earlier = firstAt.get(checked.value);
    if (earlier !== undefined) {
      issues.add({
        source,
        path: entry.path,
        value: entry.name,
        message: `names ${checked.value} again (first at ${earlier || 'the start'}); a chain tries each runtime once`,
        kind: 'schema',
      });
      continue;
    }
    firstAt.set(checked.value, entry.path);
    chain.push({
      value: { runtime: checked.value, model: entry.model, effort: entry.effort },
      source,
      path: entry.namePath,
    });
  }
  return chain;
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
    const chosen = textChain(value, source, issues, registry);
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
    const chosen = textChain(runtime, source, issues, registry);
    if (chosen) layer.stages[stage as Stage] = chosen;
  }
  return layer;
}

function mergeLayers(layers: readonly Layer[]): Layer {
  const merged = emptyLayer();
  for (const layer of layers) {
    merged.runtimeBackend = layer.runtimeBackend ?? merged.runtimeBackend;
    merged.defaultTargets = layer.defaultTargets ?? merged.defaultTargets;
    merged.backendProfile = layer.backendProfile ?? merged.backendProfile;
    // A stage's chain is replaced whole: a layer that names a chain means exactly that chain.
    Object.assign(merged.stages, layer.stages);
    Object.assign(merged.retry, layer.retry);
    Object.assign(merged.pricing, layer.pricing);
    for (const [id, settings] of Object.entries(layer.runtimes)) {
      const previous = merged.runtimes[id];
      merged.runtimes[id] = previous
        ? { ...settings, value: { ...previous.value, ...settings.value } }
        : settings;
    }
    Object.assign(merged.missions, layer.missions);
    Object.assign(merged.contracts, layer.contracts);
    merged.scale = layer.scale ?? merged.scale;
  }
  return merged;
}

/**
 * Runtimes the routing actually uses must have their adapter installed. Settings for an
 * uninstalled runtime that no stage uses are kept for later, not an error.
 */
function checkInstalled(merged: Layer, registry: AdapterRegistry, issues: IssueCollector): void {
  // Every runtime of every chain: a fallback that cannot load is no fallback.
  const used: Sourced<string>[] = [];
  for (const stage of STAGES) {
    const chain = merged.stages[stage] ?? merged.defaultTargets;
    if (chain) {
      for (const target of chain) used.push({ ...target, value: target.value.runtime });
    } else if (merged.runtimeBackend) {
      used.push(merged.runtimeBackend);
    }
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
    (stage) => !merged.stages[stage] && !merged.defaultTargets && !merged.runtimeBackend,
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
