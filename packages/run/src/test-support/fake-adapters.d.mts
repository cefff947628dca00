import type { RuntimeAdapter } from '@baton/core';

export type FakeFormat = 'codex' | 'claude' | 'opencode' | 'hermes';
export declare const FAKE_FORMATS: readonly FakeFormat[];
export declare const FAKE_RUNTIME_SCRIPT: string;
export declare function writeFakeBinaries(directory: string): Record<FakeFormat, string>;
export declare function installFakeAdapterPackages(
  projectRoot: string,
  formats?: readonly FakeFormat[],
): void;
export declare function createFakeAdapter(
  format: FakeFormat,
  options?: { id?: string; naive?: boolean },
): RuntimeAdapter;
