/**
 * The worked example of docs/testing-pipelines.md ("Fallbacks, retries and budgets"), read
 * from the page itself so that what it shows is what the tests run: every ```toml block whose
 * first line names a file (`# baton.toml`, `# tests/fallback.baton-test.toml`) is a file of
 * the example project, and the tables under it name the result paths and event keys that
 * the example's runs must hold.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TESTING_PIPELINES_DOC = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  '..',
  'docs',
  'testing-pipelines.md',
);

const page = () => readFileSync(TESTING_PIPELINES_DOC, 'utf8');

/** The example project's files, by path, as the page shows them. */
export function docExampleFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const match of page().matchAll(/^```toml\n# ([\w./-]+\.toml)\n([\s\S]*?)^```$/gm)) {
    files[match[1]!] = `# ${match[1]}\n${match[2]}`;
  }
  return files;
}

/** A table row's cells, trimmed (the page's cells hold no `|`). */
const cells = (line: string) =>
  line
    .split('|')
    .slice(1, -1)
    .map((cell) => cell.trim());

/** The rows of the page's table whose first header cell is `first`, as cells. */
function tableRows(first: string): string[][] {
  const lines = page().split('\n');
  const header = lines.findIndex((line) => line.startsWith('|') && cells(line)[0] === first);
  if (header < 0) throw new Error(`docs/testing-pipelines.md has no table headed "${first}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(cells(line));
  }
  return rows;
}

const quoted = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);

/** The result paths the "result path" table names (its first column). */
export function docResultPaths(): string[] {
  return tableRows('result path').flatMap(([path]) => quoted(path!));
}

/** Each event the "event" table names, with the payload keys it lists for it. */
export function docEventKeys(): Map<string, string[]> {
  return new Map(tableRows('event').map(([event, keys]) => [quoted(event!)[0]!, quoted(keys!)]));
}

/** What the page shows `baton test --runtime fake` printing for the example (after the command line). */
export function docExampleOutput(): string {
  const match = /^```console\n\$ baton test --runtime fake\n([\s\S]*?)^```$/m.exec(page());
  if (match === null)
    throw new Error('docs/testing-pipelines.md shows no `baton test --runtime fake`');
  return match[1]!;
}
