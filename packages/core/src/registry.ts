/**
 * The adapter registry: which runtimes exist (their identities) and how to load each one.
 *
 * Identities come cheaply, from each adapter package's `baton.adapter` manifest in its
 * package.json, so `baton stages` and config validation never import adapter code; the
 * adapter module itself is imported only when a command needs it (doctor, run, setup).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, parse } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as V1 from './adapter/v1/spec.js';
import { SPECIFICATION_VERSION as V1_SPECIFICATION_VERSION } from './adapter/v1/spec.js';
import { upgradeV1Adapter } from './adapter/v1/upgrade.js';
import {
  type AdapterIdentity,
  type RuntimeAdapter,
  SPECIFICATION_VERSION,
} from './adapter/v2/spec.js';
import { BatonError } from './errors.js';
import { FIRST_PARTY_RUNTIMES, normaliseRuntimeName } from './runtime-catalogue.js';
import { closestMatch } from './suggest.js';

/** The versions of the adapter interface this core accepts; older ones are upgraded on load. */
export const SUPPORTED_SPECIFICATION_VERSIONS: readonly string[] = [
  SPECIFICATION_VERSION,
  V1_SPECIFICATION_VERSION,
];

/** A package name that may hold a third-party adapter: `baton-adapter-<id>` or `@scope/baton-adapter-<id>`. */
const THIRD_PARTY_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?baton-adapter-[a-z0-9][a-z0-9-._]*$/;

export interface RegisteredRuntime {
  readonly identity: AdapterIdentity;
  /** The npm package the adapter came from; `null` for one registered in code. */
  readonly packageName: string | null;
  /** Where the package was found, for doctor output and errors. */
  readonly location: string | null;
  load(): Promise<RuntimeAdapter>;
}

/** A package that looked like an adapter but cannot be used, with the reason. */
export interface RejectedAdapter {
  readonly packageName: string;
  readonly location: string;
  readonly id: string | null;
  readonly error: BatonError;
}

/** Result of looking a runtime name up in the registry's vocabulary. */
export type RuntimeLookup =
  | { readonly status: 'found'; readonly id: string }
  | { readonly status: 'not-installed'; readonly id: string; readonly packageName: string }
  | { readonly status: 'rejected'; readonly id: string; readonly error: BatonError }
  | {
      readonly status: 'unknown';
      /** The canonical id of the closest known name, when the name looks like a typo of one. */
      readonly suggestion: string | undefined;
      /**
       * For a name that is no typo but looks like a runtime's id (`gemini`): the package a
       * third-party adapter for it would be (`baton-adapter-gemini`).
       */
      readonly adapterPackage?: string;
    };

export class AdapterRegistry {
  private readonly runtimes = new Map<string, RegisteredRuntime>();
  private readonly names = new Map<string, string>();
  private readonly rejected: RejectedAdapter[] = [];

  /**
   * Registers a loaded adapter object (programs, tests), of any supported specification
   * version. Replaces a discovered one with the same id.
   */
  register(adapter: RuntimeAdapter | V1.RuntimeAdapter): this {
    const error = checkAdapterShape(adapter, 'a registered adapter');
    if (error) throw error;
    const current = toCurrentSpecification(adapter);
    this.add({
      identity: current.identity,
      packageName: null,
      location: null,
      load: async () => current,
    });
    return this;
  }

  /**
   * Finds adapter packages in the `node_modules` folders of each root and its parents:
   * first-party `@baton/*` adapters and third-party `baton-adapter-*` packages. The first
   * package found for an id wins, so a project's own install shadows a global one.
   */
  discover(roots: readonly string[]): this {
    const seenDirectories = new Set<string>();
    for (const root of roots) {
      for (const modules of nodeModulesChain(root)) {
        if (seenDirectories.has(modules)) continue;
        seenDirectories.add(modules);
        for (const packageDirectory of candidatePackages(modules)) {
          this.addDiscovered(packageDirectory);
        }
      }
    }
    return this;
  }

  /** Every usable runtime, in registration order. */
  list(): readonly RegisteredRuntime[] {
    return [...this.runtimes.values()];
  }

  rejectedAdapters(): readonly RejectedAdapter[] {
    return this.rejected;
  }

  /** Normalises a user-written runtime name (id or alias) to a canonical id, or says why not. */
  lookup(name: string): RuntimeLookup {
    const key = normaliseRuntimeName(name);
    const id = this.names.get(key);
    if (id !== undefined) return { status: 'found', id };
    const rejected = this.rejected.find((entry) => entry.id !== null && entry.id === key);
    if (rejected) return { status: 'rejected', id: key, error: rejected.error };
    const known = FIRST_PARTY_RUNTIMES.find(
      (runtime) => runtime.id === key || runtime.aliases.includes(key),
    );
    if (known) return { status: 'not-installed', id: known.id, packageName: known.packageName };
    // The closest name may be an alias; the suggestion is always the canonical id it stands for.
    const closest = closestMatch(key, this.vocabulary());
    const suggestion = closest === undefined ? undefined : this.canonicalOf(closest);
    if (suggestion === undefined && RUNTIME_LIKE.test(key))
      return { status: 'unknown', suggestion, adapterPackage: `baton-adapter-${key}` };
    return { status: 'unknown', suggestion };
  }

  /** Canonical ids users may write: the installed runtimes, then the known first-party ones. */
  canonicalIds(): string[] {
    return [
      ...new Set([...this.runtimes.keys(), ...FIRST_PARTY_RUNTIMES.map((runtime) => runtime.id)]),
    ];
  }

  /** The canonical id a known name (id or alias) stands for. */
  private canonicalOf(name: string): string {
    return (
      this.names.get(name) ??
      FIRST_PARTY_RUNTIMES.find((runtime) => runtime.id === name || runtime.aliases.includes(name))
        ?.id ??
      name
    );
  }

  /** All names a user may write: installed ids and aliases, then known first-party ones. */
  vocabulary(): string[] {
    const names = new Set<string>(this.names.keys());
    for (const runtime of FIRST_PARTY_RUNTIMES) {
      names.add(runtime.id);
      for (const alias of runtime.aliases) names.add(alias);
    }
    return [...names];
  }

  /** Canonical ids of the installed runtimes. */
  ids(): string[] {
    return [...this.runtimes.keys()];
  }

  get(id: string): RegisteredRuntime | undefined {
    return this.runtimes.get(id);
  }

  /** Loads the adapter for a canonical id, checking that the module keeps its manifest's word. */
  async load(id: string): Promise<RuntimeAdapter> {
    const entry = this.runtimes.get(id);
    if (!entry) {
      const lookup = this.lookup(id);
      throw lookupError(id, lookup);
    }
    return entry.load();
  }

  private add(entry: RegisteredRuntime): void {
    const id = normaliseRuntimeName(entry.identity.id);
    const previous = this.runtimes.get(id);
    if (previous) {
      this.names.delete(id);
      for (const alias of previous.identity.aliases) this.names.delete(normaliseRuntimeName(alias));
    }
    this.runtimes.set(id, entry);
    this.names.set(id, id);
    for (const alias of entry.identity.aliases) {
      const key = normaliseRuntimeName(alias);
      // An alias never shadows another runtime's canonical id.
      if (!this.runtimes.has(key) || key === id) this.names.set(key, id);
    }
  }

  private addDiscovered(packageDirectory: string): void {
    const packageJsonPath = join(packageDirectory, 'package.json');
    let packageJson: { name?: unknown; baton?: { adapter?: unknown } };
    try {
      packageJson = JSON.parse(readFileSync(packageJsonPath, 'utf8'));
    } catch {
      return; // Not a readable package: not an adapter.
    }
    const manifest = packageJson.baton?.adapter;
    const packageName = typeof packageJson.name === 'string' ? packageJson.name : packageDirectory;
    if (manifest === undefined) return; // @baton/core, @baton/cli and friends.
    const problem = checkManifest(manifest, packageName);
    const id =
      typeof (manifest as { id?: unknown }).id === 'string'
        ? normaliseRuntimeName((manifest as { id: string }).id)
        : null;
    if (problem) {
      this.rejected.push({ packageName, location: packageDirectory, id, error: problem });
      return;
    }
    if (id !== null && this.runtimes.has(id)) return; // Nearer package already registered.
    const identity = manifest as AdapterIdentity & { specificationVersion: string };
    this.add({
      identity,
      packageName,
      location: packageDirectory,
      load: () => importAdapter(packageDirectory, packageName, identity),
    });
  }
}

/** The `node_modules` folders Node itself would search from `start`, nearest first. */
function* nodeModulesChain(start: string): Generator<string> {
  let directory = start;
  const { root } = parse(start);
  while (true) {
    if (!directory.endsWith(`${'/'}node_modules`)) yield join(directory, 'node_modules');
    if (directory === root) return;
    directory = dirname(directory);
  }
}

function* candidatePackages(modules: string): Generator<string> {
  let entries: string[];
  try {
    entries = readdirSync(modules);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.startsWith('@')) {
      let scoped: string[];
      try {
        scoped = readdirSync(join(modules, entry));
      } catch {
        continue;
      }
      for (const name of scoped) {
        const full = `${entry}/${name}`;
        if (entry === '@baton' || THIRD_PARTY_NAME.test(full)) yield join(modules, entry, name);
      }
    } else if (THIRD_PARTY_NAME.test(entry)) {
      yield join(modules, entry);
    }
  }
}

const IDENTITY_STRINGS = ['id', 'displayName', 'testedVersions', 'contractChannel'] as const;

function checkManifest(manifest: unknown, packageName: string): BatonError | undefined {
  if (typeof manifest !== 'object' || manifest === null) {
    return new BatonError(
      'ADAPTER_INVALID',
      `${packageName}: the "baton.adapter" field of package.json must be an object.`,
      { details: { packageName } },
    );
  }
  return checkIdentity(
    manifest as Record<string, unknown>,
    `${packageName} (package.json "baton.adapter")`,
  );
}

function checkIdentity(value: Record<string, unknown>, where: string): BatonError | undefined {
  const version = value.specificationVersion;
  if (!SUPPORTED_SPECIFICATION_VERSIONS.includes(version as string)) {
    return new BatonError(
      'ADAPTER_VERSION_UNSUPPORTED',
      `${where} implements adapter specification ${JSON.stringify(version ?? null)}, ` +
        `but this Baton accepts ${SUPPORTED_SPECIFICATION_VERSIONS.map((v) => `"${v}"`).join(', ')}. ` +
        'Install a version of the adapter built for this Baton, or upgrade Baton.',
      {
        details: {
          specificationVersion: version ?? null,
          accepted: SUPPORTED_SPECIFICATION_VERSIONS,
        },
      },
    );
  }
  const identity = (value.identity ?? value) as Record<string, unknown>;
  for (const key of IDENTITY_STRINGS) {
    if (typeof identity[key] !== 'string' || identity[key] === '') {
      return new BatonError(
        'ADAPTER_INVALID',
        `${where}: identity "${key}" must be a non-empty string.`,
      );
    }
  }
  if (!/^[a-z0-9][a-z0-9-]*$/.test(identity.id as string)) {
    return new BatonError(
      'ADAPTER_INVALID',
      `${where}: identity id "${String(identity.id)}" must be lowercase letters, digits and hyphens.`,
    );
  }
  if (
    !Array.isArray(identity.aliases) ||
    identity.aliases.some((alias) => typeof alias !== 'string')
  ) {
    return new BatonError(
      'ADAPTER_INVALID',
      `${where}: identity "aliases" must be an array of strings.`,
    );
  }
  if (identity.binary !== null && typeof identity.binary !== 'string') {
    return new BatonError(
      'ADAPTER_INVALID',
      `${where}: identity "binary" must be a string or null.`,
    );
  }
  return undefined;
}

const ADAPTER_METHODS = ['doctorChecks', 'buildCommand', 'createDecoder'] as const;

/** Checks a loaded adapter object; returns the problem rather than throwing. */
export function checkAdapterShape(adapter: unknown, where: string): BatonError | undefined {
  if (typeof adapter !== 'object' || adapter === null) {
    return new BatonError('ADAPTER_INVALID', `${where} is not an adapter object.`);
  }
  const candidate = adapter as Record<string, unknown>;
  const identityProblem = checkIdentity(candidate, where);
  if (identityProblem) return identityProblem;
  for (const method of ADAPTER_METHODS) {
    if (typeof candidate[method] !== 'function') {
      return new BatonError('ADAPTER_INVALID', `${where} has no ${method}() function.`);
    }
  }
  const profile = candidate.profile as Record<string, unknown> | undefined;
  if (typeof profile?.nativeName !== 'function' || typeof profile.describe !== 'function') {
    return new BatonError(
      'ADAPTER_INVALID',
      `${where} has no profile mapping (nativeName, describe).`,
    );
  }
  const writer = candidate.nativeConfig as Record<string, unknown> | undefined;
  if (typeof writer?.plan !== 'function' || typeof writer.planRevert !== 'function') {
    return new BatonError(
      'ADAPTER_INVALID',
      `${where} has no native-config writer (plan, planRevert).`,
    );
  }
  if (candidate.specificationVersion === SPECIFICATION_VERSION)
    return checkCapabilities(candidate.capabilities, where);
  return undefined;
}

const CAPABILITY_FLAGS = ['resumeSession', 'costCap', 'turnCap', 'reportsCost'] as const;

function checkCapabilities(value: unknown, where: string): BatonError | undefined {
  if (typeof value !== 'object' || value === null) {
    return new BatonError(
      'ADAPTER_INVALID',
      `${where} declares no capabilities (${SPECIFICATION_VERSION} adapters must).`,
    );
  }
  const capabilities = value as Record<string, unknown>;
  for (const flag of CAPABILITY_FLAGS) {
    if (typeof capabilities[flag] !== 'boolean') {
      return new BatonError(
        'ADAPTER_INVALID',
        `${where}: capabilities.${flag} must be true or false.`,
      );
    }
  }
  const efforts = capabilities.efforts;
  if (
    !Array.isArray(efforts) ||
    efforts.some((effort) => typeof effort !== 'string' || effort === '')
  ) {
    return new BatonError(
      'ADAPTER_INVALID',
      `${where}: capabilities.efforts must be an array of non-empty strings.`,
    );
  }
  return undefined;
}

async function importAdapter(
  packageDirectory: string,
  packageName: string,
  manifest: AdapterIdentity,
): Promise<RuntimeAdapter> {
  // Resolve by name from the folder holding this node_modules, as an importer would: that
  // honours the package's `exports` map (resolving the directory itself would not).
  const modulesDirectory = packageName.startsWith('@')
    ? dirname(dirname(packageDirectory))
    : dirname(packageDirectory);
  const require = createRequire(join(dirname(modulesDirectory), 'noop.js'));
  let entry: string;
  try {
    entry = require.resolve(packageName);
  } catch (cause) {
    throw new BatonError(
      'ADAPTER_INVALID',
      `${packageName}: cannot resolve its entry point (is it built?).`,
      {
        cause,
        details: { packageName, location: packageDirectory },
      },
    );
  }
  const module = (await import(pathToFileURL(entry).href)) as {
    default?: unknown;
    adapter?: unknown;
  };
  const adapter = module.default ?? module.adapter;
  const problem = checkAdapterShape(adapter, packageName);
  if (problem) throw problem;
  const loaded = toCurrentSpecification(adapter as RuntimeAdapter | V1.RuntimeAdapter);
  if (normaliseRuntimeName(loaded.identity.id) !== normaliseRuntimeName(manifest.id)) {
    throw new BatonError(
      'ADAPTER_INVALID',
      `${packageName}: its package.json says runtime "${manifest.id}" but the module exports "${loaded.identity.id}".`,
    );
  }
  return loaded;
}

/** An adapter of any supported version, behind the current interface. */
function toCurrentSpecification(adapter: RuntimeAdapter | V1.RuntimeAdapter): RuntimeAdapter {
  return adapter.specificationVersion === V1_SPECIFICATION_VERSION
    ? upgradeV1Adapter(adapter as V1.RuntimeAdapter)
    : (adapter as RuntimeAdapter);
}

/** A plausible runtime id: what a third-party adapter package could be named after. */
const RUNTIME_LIKE = /^[a-z][a-z0-9-]{1,39}$/;

/** What to do about a runtime Baton has no adapter for. */
export function adapterHint(name: string, adapterPackage: string): string {
  return `No adapter for "${name}" is installed; a third-party one would be the package ${adapterPackage} (npm install ${adapterPackage}).`;
}

/** The error for a name the registry cannot load, with what to do about it. */
export function lookupError(name: string, lookup: RuntimeLookup): BatonError {
  switch (lookup.status) {
    case 'not-installed':
      return new BatonError(
        'ADAPTER_NOT_INSTALLED',
        `Runtime "${name}" needs the adapter package ${lookup.packageName}, which is not installed. ` +
          `Install it: npm install ${lookup.packageName}`,
        { details: { runtime: lookup.id, packageName: lookup.packageName } },
      );
    case 'rejected':
      return lookup.error;
    case 'unknown':
      return new BatonError(
        'UNKNOWN_RUNTIME',
        `Unknown runtime "${name}".` +
          (lookup.suggestion ? ` Did you mean "${lookup.suggestion}"?` : '') +
          (lookup.adapterPackage ? ` ${adapterHint(name, lookup.adapterPackage)}` : ''),
        {
          details: {
            runtime: name,
            suggestion: lookup.suggestion,
            ...(lookup.adapterPackage ? { adapterPackage: lookup.adapterPackage } : {}),
          },
        },
      );
    case 'found':
      return new BatonError('INTERNAL', `Runtime "${name}" is registered but could not be loaded.`);
  }
}
