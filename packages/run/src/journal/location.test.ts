import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batonError } from '../test-support/journal-trouble.js';
import { Journal } from './journal.js';
import { ensureJournalDirectory, journalPath } from './location.js';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'baton-location-'));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('ensureJournalDirectory', () => {
  it('creates a private .baton with a .gitignore that ignores everything, and nothing else', () => {
    const directory = ensureJournalDirectory(root);
    expect(directory).toBe(join(root, '.baton'));
    expect(statSync(directory).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(directory, '.gitignore'), 'utf8')).toBe('*\n');
    expect(readdirSync(directory)).toEqual(['.gitignore']);
    // A second call uses the folder as it is.
    expect(ensureJournalDirectory(root)).toBe(directory);
    expect(readdirSync(directory)).toEqual(['.gitignore']);
  });

  it('writes no .gitignore through a .baton that links to the project itself', () => {
    symlinkSync('.', join(root, '.baton'));
    writeFileSync(join(root, 'README.md'), 'mine\n');
    ensureJournalDirectory(root);
    // A `*` ignore file here would make git ignore the whole repository.
    expect(existsSync(join(root, '.gitignore'))).toBe(false);
    const journal = Journal.open(journalPath(root));
    journal.close();
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toBe('mine\n');
  });

  it('writes no .gitignore into a .baton folder it did not create', () => {
    mkdirSync(join(root, '.baton'));
    writeFileSync(join(root, '.baton', 'notes.txt'), 'mine\n');
    ensureJournalDirectory(root);
    expect(readdirSync(join(root, '.baton'))).toEqual(['notes.txt']);
  });

  it('says what to do when .baton is a dangling symbolic link', () => {
    const target = join(root, 'gone');
    symlinkSync(target, join(root, '.baton'));
    const error = batonError(() => ensureJournalDirectory(root));
    expect(error.code).toBe('JOURNAL_UNAVAILABLE');
    expect(error.message).toBe(
      `${join(root, '.baton')} is a symbolic link to ${target}, which does not exist. ` +
        'Baton keeps its journal there: create that folder, or remove the link so Baton creates .baton/ itself.',
    );
    expect(lstatSync(join(root, '.baton')).isSymbolicLink()).toBe(true);
  });

  it('says what to do when .baton is a file, and leaves the file alone', () => {
    writeFileSync(join(root, '.baton'), 'not a folder\n');
    const error = batonError(() => ensureJournalDirectory(root));
    expect(error.code).toBe('JOURNAL_UNAVAILABLE');
    expect(error.message).toBe(
      `${join(root, '.baton')} is a file, not a folder. Baton keeps its journal in a .baton/ folder there: move it aside, and Baton creates the folder.`,
    );
    expect(readFileSync(join(root, '.baton'), 'utf8')).toBe('not a folder\n');
  });

  it('says what to do when .baton links to a file', () => {
    writeFileSync(join(root, 'file'), 'x');
    symlinkSync('file', join(root, '.baton'));
    const error = batonError(() => ensureJournalDirectory(root));
    expect(error.code).toBe('JOURNAL_UNAVAILABLE');
    expect(error.message).toMatch(/is a symbolic link to file, which is not a folder\./);
  });
});
