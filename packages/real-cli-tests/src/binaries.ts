import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const binDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.bin');

/** The pinned real CLIs, installed as this package's devDependencies. */
export const REAL_CLIS = {
  codex: join(binDirectory, 'codex'),
  claude: join(binDirectory, 'claude'),
  opencode: join(binDirectory, 'opencode'),
} as const;

/** Fails loudly instead of skipping: these tests exist to run against the real binaries. */
export function requireCli(name: keyof typeof REAL_CLIS): string {
  const path = REAL_CLIS[name];
  if (!existsSync(path)) {
    throw new Error(`${name} is not installed at ${path}; run pnpm install at the repo root.`);
  }
  return path;
}
