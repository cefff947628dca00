import type { RuntimeSettings } from '../adapter/v1/spec.js';
import type { Mission } from '../mission.js';
import type { Stage } from '../stage.js';

/** A role-contract override from `[contracts.<stage>]`, with its text already read. */
export interface ContractOverride {
  readonly mode: 'extend' | 'replace';
  readonly text: string;
  /** The config file (or contract file) it came from. */
  readonly source: string;
}

/** Configuration after layering and validation; every runtime name is a canonical id. */
export interface BatonConfig {
  /** The single-backend fallback. */
  readonly runtimeBackend: string;
  /** Runtime for stages not listed in `stages`, or `null`. */
  readonly defaultRuntime: string | null;
  readonly backendProfile: string | null;
  readonly stages: Readonly<Partial<Record<Stage, string>>>;
  /** `[runtimes.<id>]` settings keyed by canonical id. */
  readonly runtimes: Readonly<Record<string, RuntimeSettings>>;
  /** Built-in and user missions by name. */
  readonly missions: Readonly<Record<string, Mission>>;
  readonly contracts: Readonly<Partial<Record<Stage, ContractOverride>>>;
  /** Config files that were read, lowest layer first. */
  readonly files: readonly string[];
  /** The project's directory: where its `baton.toml` is, or the working directory. */
  readonly projectRoot: string;
}
