/**
 * A real Node.js older than the CLI's minimum (22.13), to run the launcher's version check
 * under. Looks on PATH and in the usual system folders first (a machine whose system Node
 * is 20 has one there); otherwise installs the official Node 20 binary package from the
 * npm registry into a cache folder. Never skips: when neither works, it throws, and the
 * tests that need it fail with the reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

export const MINIMUM_NODE = '22.13.0';
/** Installed when the machine has no old Node; the official build, from the npm registry. */
const FALLBACK_VERSION = '20.20.2';
const SYSTEM_DIRECTORIES = ['/usr/bin', '/usr/local/bin', '/bin'];

export interface OldNode {
  readonly path: string;
  readonly version: string;
}

export interface FindOldNodeOptions {
  /** Folders to look for a `node` in; PATH and the usual system folders by default. */
  readonly directories?: readonly string[];
  /** Where the fallback install is kept between runs. */
  readonly cacheDirectory?: string;
}

export function isOlderThanMinimum(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [minimumMajor = 0, minimumMinor = 0] = MINIMUM_NODE.split('.').map(Number);
  return major < minimumMajor || (major === minimumMajor && minor < minimumMinor);
}

export function findOldNode(options: FindOldNodeOptions = {}): OldNode {
  const directories = options.directories ?? [
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean),
    ...SYSTEM_DIRECTORIES,
  ];
  for (const directory of directories) {
    const found = probe(join(directory, 'node'));
    if (found && isOlderThanMinimum(found.version)) return found;
  }
  const cacheDirectory =
    options.cacheDirectory ?? join(tmpdir(), `baton-test-node-${FALLBACK_VERSION}`);
  const installed = installFallback(cacheDirectory);
  if (installed.node) return installed.node;
  throw new Error(
    `No Node.js older than ${MINIMUM_NODE} to test the launcher with: none on PATH or in ` +
      `${SYSTEM_DIRECTORIES.join(', ')}, and installing one failed (${installed.reason}). ` +
      `Put a Node.js 20 first on PATH, or let npm reach the npm registry.`,
  );
}

function probe(path: string): OldNode | undefined {
  if (!existsSync(path)) return undefined;
  const result = spawnSync(path, ['-p', 'process.versions.node'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  const version = result.stdout?.trim();
  return result.status === 0 && version ? { path, version } : undefined;
}

/** The official build is published as `node-<platform>-<arch>` (Linux builds only for 20.x). */
function installFallback(cacheDirectory: string): { node?: OldNode; reason: string } {
  const packageName = `node-${process.platform}-${process.arch}`;
  const binary = join(cacheDirectory, 'node_modules', packageName, 'bin', 'node');
  const cached = probe(binary);
  if (cached) return { node: cached, reason: '' };
  // Installed beside the cache and renamed into place, so two runs at once never see half.
  mkdirSync(dirname(cacheDirectory), { recursive: true });
  const staging = mkdtempSync(`${cacheDirectory}.staging-`);
  try {
    const spec = `${packageName}@${FALLBACK_VERSION}`;
    const npm = spawnSync(
      'npm',
      ['install', '--prefix', staging, '--no-save', '--no-audit', '--no-fund', spec],
      { encoding: 'utf8', timeout: 170_000 },
    );
    if (npm.error) return { reason: `npm install ${spec}: ${npm.error.message}` };
    if (npm.status !== 0) {
      const detail = `${npm.stderr ?? ''}`.trim().split('\n').slice(0, 3).join(' ');
      return { reason: `npm install ${spec} exited with ${npm.status}: ${detail}` };
    }
    try {
      renameSync(staging, cacheDirectory);
    } catch (error) {
      // Another run put it there first; use that one.
      if (!existsSync(binary)) throw error;
    }
    const node = probe(binary);
    return node ? { node, reason: '' } : { reason: `${binary} does not run` };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
