import { describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import { editJson, removeJsonValue, setJsonValue } from './json-edit.js';

const SETTINGS = `{
  // Claude settings
  "model": "sonnet", // my default
  "permissions": {
    "allow": ["Bash(ls:*)"]
  }
}
`;

function errorOf(run: () => unknown): BatonError {
  try {
    run();
  } catch (error) {
    if (BatonError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a BatonError');
}

describe('setJsonValue', () => {
  it('adds a property after the last one, keeping the comment on the line before', () => {
    const result = setJsonValue(SETTINGS, ['env', 'ANTHROPIC_BASE_URL'], 'http://127.0.0.1:4000');
    expect(result).toBe(`{
  // Claude settings
  "model": "sonnet", // my default
  "permissions": {
    "allow": ["Bash(ls:*)"]
  },
  "env": {
    "ANTHROPIC_BASE_URL": "http://127.0.0.1:4000"
  }
}
`);
    expect(removeJsonValue(result, ['env', 'ANTHROPIC_BASE_URL'])).toBe(SETTINGS);
  });

  it('replaces a value in place and leaves the trailing comment', () => {
    expect(setJsonValue(SETTINGS, ['model'], 'opus')).toBe(SETTINGS.replace('"sonnet"', '"opus"'));
  });

  it('returns the same string when the value is already there', () => {
    expect(setJsonValue(SETTINGS, ['permissions', 'allow'], ['Bash(ls:*)'])).toBe(SETTINGS);
  });

  it('follows tabs, CRLF and a byte-order mark', () => {
    const source = '\uFEFF{\r\n\t"a": {\r\n\t\t"b": 1\r\n\t}\r\n}';
    const result = setJsonValue(source, ['a', 'c'], { d: [1, 2] });
    expect(result).toBe(
      '\uFEFF{\r\n\t"a": {\r\n\t\t"b": 1,\r\n\t\t"c": {\r\n\t\t\t"d": [\r\n\t\t\t\t1,\r\n\t\t\t\t2\r\n\t\t\t]\r\n\t\t}\r\n\t}\r\n}',
    );
    expect(removeJsonValue(result, ['a', 'c'])).toBe(source);
  });

  it('fills an empty object and empties it again', () => {
    const result = setJsonValue('{}\n', ['agent', 'baton-worker', 'model'], 'baton/worker');
    expect(result).toBe(
      '{\n  "agent": {\n    "baton-worker": {\n      "model": "baton/worker"\n    }\n  }\n}\n',
    );
    expect(removeJsonValue(result, ['agent', 'baton-worker', 'model'])).toBe('{}\n');
  });

  it('keeps one-line objects on one line', () => {
    const source = '{"a": 1, "b": {"c": 2}}';
    const result = setJsonValue(source, ['b', 'd'], 'x');
    expect(result).toBe('{"a": 1, "b": {"c": 2, "d": "x"}}');
    expect(removeJsonValue(result, ['b', 'd'])).toBe(source);
  });

  it('keeps a trailing-comma style in JSONC', () => {
    const source = '{\n  "a": 1,\n}\n';
    const result = setJsonValue(source, ['b'], 2);
    expect(result).toBe('{\n  "a": 1,\n  "b": 2,\n}\n');
    expect(removeJsonValue(result, ['b'])).toBe(source);
  });

  it('starts an empty file as an object', () => {
    expect(setJsonValue('', ['a'], true)).toBe('{\n  "a": true\n}\n');
  });

  it('applies several edits in one pass', () => {
    const result = editJson(SETTINGS, [
      { op: 'set', path: ['model'], value: 'opus' },
      { op: 'remove', path: ['permissions', 'allow'] },
    ]);
    expect(result).toBe('{\n  // Claude settings\n  "model": "opus" // my default\n}\n');
  });
});

describe('removeJsonValue', () => {
  it('keeps comments around the removed property', () => {
    const source = '{\n  "a": 1, // about a\n  // about b\n  "b": 2 // b itself\n}\n';
    expect(removeJsonValue(source, ['b'])).toBe('{\n  "a": 1 // about a\n  // about b\n}\n');
    expect(removeJsonValue(source, ['a'])).toBe('{\n  // about b\n  "b": 2 // b itself\n}\n');
  });

  it('does not prune an object the user left a comment in', () => {
    const source = '{\n  "env": {\n    // mine\n    "X": "1"\n  }\n}\n';
    expect(removeJsonValue(source, ['env', 'X'])).toBe('{\n  "env": {\n    // mine\n  }\n}\n');
  });

  it('is a no-op for a missing path', () => {
    expect(removeJsonValue(SETTINGS, ['nope', 'x'])).toBe(SETTINGS);
  });

  it('gives back the objects the original had, empty ones in their own spelling', () => {
    const owned = ['agent', 'baton-worker', 'mode'];
    for (const original of [
      '{\n  "$schema": "https://opencode.ai/config.json",\n  "agent": {},\n  "mcp": {}\n}\n',
      '{\n  "mcp": {"a": 1},\n  "agent": {}\n}\n',
      '{\n  "agent": { },\n}\n',
      '{\r\n  "agent": {\r\n  }\r\n}',
      '{\n  "agent": {\n    // none yet\n  }\n}\n',
      '{}',
      '{ }\n',
      '\uFEFF{}\r\n',
      '',
      '\n\n',
    ]) {
      const result = setJsonValue(original, owned, 'primary');
      expect(removeJsonValue(result, owned, { original })).toBe(original);
    }
  });

  it('fills an object holding only comments and empties it back, comments and spacing kept', () => {
    for (const original of [
      '{"a": { /* none */ }}',
      '{"a": {\n  /* none */ }}',
      '{"a": {\n // \n}}',
      '{"a": { // none\n}}',
      '{ /* none */ }',
      '{\r\n  /* none */  \r\n}\r\n',
    ]) {
      const result = setJsonValue(original, ['a', 'k'], 1);
      expect(removeJsonValue(result, ['a', 'k'], { original })).toBe(original);
    }
    expect(setJsonValue('{"a": { /* none */ }}', ['a', 'k'], 1)).toBe(
      '{"a": { /* none */ "k": 1 }}',
    );
  });

  it('removes the objects Baton created, whatever the original, and all of them without one', () => {
    const original = '{\n  "agent": {}\n}\n';
    const result = setJsonValue(original, ['agent', 'baton-worker', 'mode'], 'primary');
    expect(removeJsonValue(result, ['agent', 'baton-worker', 'mode'])).toBe('{}\n');
    expect(removeJsonValue(result, ['agent', 'baton-worker', 'mode'], { original: null })).toBe(
      '{}\n',
    );
    const theirs = '{\n  "agent": {"baton-worker": {}}\n}\n';
    expect(
      removeJsonValue(
        setJsonValue(theirs, ['agent', 'baton-worker', 'mode'], 'primary'),
        ['agent', 'baton-worker', 'mode'],
        { original: theirs },
      ),
    ).toBe(theirs);
  });

  it('treats an original that no longer parses as no original', () => {
    const result = setJsonValue('{"agent": {}}', ['agent', 'baton-worker', 'mode'], 'primary');
    expect(
      removeJsonValue(result, ['agent', 'baton-worker', 'mode'], { original: '{ "x": ' }),
    ).toBe(removeJsonValue(result, ['agent', 'baton-worker', 'mode']));
  });

  it('counts objects that held only Baton’s keys in the original as Baton’s', () => {
    // A file set up before Baton kept records: its original already has Baton's agent.
    const original =
      '{\n  "agent": {\n    "baton-worker": {\n      "mode": "primary"\n    }\n  }\n}\n';
    expect(removeJsonValue(original, ['agent', 'baton-worker', 'mode'], { original })).toBe('{}\n');
  });
});

describe('errors', () => {
  it('reports malformed JSON with line and column', () => {
    const error = errorOf(() =>
      setJsonValue('{\n  "a": 1,,\n}', ['b'], 1, { file: 'settings.json' }),
    );
    expect(error.message).toBe(
      'settings.json is not valid JSON at line 2, column 10: property name expected. Fix it by hand and rerun; nothing was changed.',
    );
  });

  it('refuses comments in strict JSON', () => {
    expect(() => setJsonValue('{ // c\n}', ['a'], 1, { flavor: 'json' })).toThrow(
      /at line 1, column 3: invalid comment token/,
    );
  });

  it('refuses a non-object on the path', () => {
    const error = errorOf(() => setJsonValue('{\n  "env": ["x"]\n}', ['env', 'X'], '1'));
    expect(error.message).toBe(
      'the JSON text: `env` is an array at line 2, but Baton needs an object there. Change it by hand and rerun. Nothing was changed.',
    );
  });

  it('refuses duplicate keys on the path', () => {
    expect(() => setJsonValue('{"a": {}, "a": {}}', ['a', 'b'], 1)).toThrow(/`a` is defined twice/);
  });

  it('refuses a top level that is not an object', () => {
    expect(() => setJsonValue('[1]', ['a'], 1)).toThrow(/the top level is not an object/);
  });
});
