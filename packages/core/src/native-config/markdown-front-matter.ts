import { parseDocument } from 'yaml';
import { BatonError } from '../errors.js';
import { FILE_NOTE, managedMarker, parseManagedMarker } from './managed-marker.js';
import { detectEol, type Eol, malformedError, splitBom } from './text.js';
import { isPlainObject } from './values.js';
import { renderYamlBlock, type YamlValue } from './yaml-render.js';

/** An agent file: YAML front matter and a Markdown body (the agent's prompt). */
export interface AgentMarkdown {
  frontMatter: Readonly<Record<string, YamlValue>>;
  body: string;
}

export interface MarkdownOptions {
  /** The file's path, used in error messages only. */
  file?: string;
}

/** A parsed `---` front matter block and the body after it. */
export interface FrontMatterFile {
  frontMatter: Record<string, unknown>;
  body: string;
  /** The managed marker on the front matter's first line, when there is one. */
  marker: { subject: string; note: string } | undefined;
}

const FORMAT = 'Markdown front matter';
const OPENING = /^---[ \t]*\r?\n/;
const CLOSING = /^(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/m;

/**
 * Renders an agent file Baton owns whole: front matter whose first line is the managed
 * marker for `subject`, then the body. Line terminators follow `eol` throughout.
 */
export function renderOwnedMarkdown(
  subject: string,
  document: AgentMarkdown,
  eol: Eol = '\n',
): string {
  const lines = [
    '---',
    managedMarker(subject, FILE_NOTE),
    ...frontMatterLines(document.frontMatter),
    '---',
  ];
  const body = document.body.replace(/\r?\n/g, eol);
  return lines.join(eol) + eol + body;
}

function frontMatterLines(frontMatter: Readonly<Record<string, YamlValue>>): string[] {
  return Object.keys(frontMatter).length === 0 ? [] : renderYamlBlock(frontMatter, 0, 2);
}

/** The managed marker of a Markdown file's front matter (its first line), if any. */
export function markdownMarker(text: string): { subject: string; note: string } | undefined {
  const { body } = splitBom(text);
  const opening = OPENING.exec(body);
  if (opening === null) return undefined;
  const rest = body.slice(opening[0].length);
  const firstLine = rest.slice(0, rest.search(/\r?\n|$/));
  return parseManagedMarker(firstLine);
}

/** True when the file's front matter carries Baton's marker (for `subject`, when given). */
export function isBatonOwnedMarkdown(text: string, subject?: string): boolean {
  const marker = markdownMarker(text);
  return marker !== undefined && (subject === undefined || marker.subject === subject);
}

/** Splits a Markdown file into parsed front matter and body; `undefined` without front matter. */
export function readFrontMatter(
  text: string,
  options: MarkdownOptions = {},
): FrontMatterFile | undefined {
  const { body: content } = splitBom(text);
  const opening = OPENING.exec(content);
  if (opening === null) return undefined;
  const rest = content.slice(opening[0].length);
  const closing = CLOSING.exec(rest);
  if (closing === null) {
    throw malformedError(
      FORMAT,
      options.file,
      { line: 1, column: 1 },
      'the front matter has no closing `---` line',
    );
  }
  const yamlText = rest.slice(0, closing.index);
  const doc = parseDocument(yamlText);
  const error = doc.errors[0];
  if (error !== undefined) {
    const position = error.linePos?.[0] ?? { line: 1, col: 1 };
    const reason = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw malformedError(
      FORMAT,
      options.file,
      { line: position.line + 1, column: position.col },
      reason,
    );
  }
  const value = doc.toJS() ?? {};
  if (!isPlainObject(value)) {
    throw malformedError(
      FORMAT,
      options.file,
      { line: 2, column: 1 },
      'the front matter is not a mapping',
    );
  }
  return {
    frontMatter: value,
    body: rest.slice(closing.index + closing[0].length),
    marker: markdownMarker(text),
  };
}

function notOwned(file: string | undefined, subject: string): BatonError {
  const name = file ?? 'The agent file';
  return new BatonError(
    'NATIVE_CONFIG',
    `${name} exists and is not managed by Baton (its front matter does not start with \`${managedMarker(subject, FILE_NOTE)}\`), so Baton will not overwrite or delete it. Rename or remove it yourself, or point Baton at another agent name.`,
    { details: { file, subject } },
  );
}

/**
 * The text to write for an agent file Baton owns: a fresh rendering when the file does not
 * exist (`existing` null) or carries Baton's marker for `subject` (keeping its line
 * terminators); an error when the file exists and is someone else's.
 */
export function planOwnedMarkdown(
  existing: string | null,
  subject: string,
  document: AgentMarkdown,
  options: MarkdownOptions = {},
): string {
  if (existing === null) return renderOwnedMarkdown(subject, document);
  if (!isBatonOwnedMarkdown(existing, subject)) throw notOwned(options.file, subject);
  const { bom, body } = splitBom(existing);
  return bom + renderOwnedMarkdown(subject, document, detectEol(body));
}

/** Checks that an agent file may be deleted by Baton: it exists only as Baton wrote it. */
export function assertOwnedMarkdown(
  existing: string,
  subject: string,
  options: MarkdownOptions = {},
): void {
  if (!isBatonOwnedMarkdown(existing, subject)) throw notOwned(options.file, subject);
}
