import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertOwnedMarkdown,
  isBatonOwnedMarkdown,
  planOwnedMarkdown,
  readFrontMatter,
  renderOwnedMarkdown,
} from './markdown-front-matter.js';

const MARKER =
  '# managed by baton: agent baton-worker — baton setup rewrites this file; delete this line to keep your own edits';

const AGENT = {
  frontMatter: {
    name: 'baton-worker',
    description: 'Builder: implements the plan',
    tools: 'Read, Bash',
    model: 'sonnet',
  },
  body: 'You are the Builder.\n\nFollow the plan.\n',
};

describe('agent Markdown files', () => {
  it('renders front matter with the ownership marker first', () => {
    expect(renderOwnedMarkdown('agent baton-worker', AGENT)).toBe(
      `---\n${MARKER}\nname: baton-worker\ndescription: "Builder: implements the plan"\ntools: Read, Bash\nmodel: sonnet\n---\nYou are the Builder.\n\nFollow the plan.\n`,
    );
  });

  it('creates a missing file and rewrites its own file, keeping CRLF', () => {
    const created = planOwnedMarkdown(null, 'agent baton-worker', AGENT);
    expect(isBatonOwnedMarkdown(created, 'agent baton-worker')).toBe(true);
    expect(planOwnedMarkdown(created, 'agent baton-worker', AGENT)).toBe(created);
    const crlf = created.replace(/\n/g, '\r\n');
    const updated = planOwnedMarkdown(crlf, 'agent baton-worker', { ...AGENT, body: 'New.\n' });
    expect(updated).toBe(
      `---\r\n${MARKER}\r\nname: baton-worker\r\ndescription: "Builder: implements the plan"\r\ntools: Read, Bash\r\nmodel: sonnet\r\n---\r\nNew.\r\n`,
    );
  });

  it('refuses to overwrite or delete a file that is not Baton’s', () => {
    const mine = '---\nname: baton-worker\ndescription: mine\n---\nMy prompt\n';
    expect(() =>
      planOwnedMarkdown(mine, 'agent baton-worker', AGENT, { file: 'agents/baton-worker.md' }),
    ).toThrow(/^agents\/baton-worker\.md exists and is not managed by Baton/);
    expect(() => assertOwnedMarkdown(mine, 'agent baton-worker')).toThrow(/not managed by Baton/);
    const otherSubject = renderOwnedMarkdown('agent baton-reviewer', AGENT);
    expect(() => planOwnedMarkdown(otherSubject, 'agent baton-worker', AGENT)).toThrow(
      /not managed by Baton/,
    );
    expect(isBatonOwnedMarkdown('No front matter at all\n')).toBe(false);
  });

  it('reads front matter and body', () => {
    const text = renderOwnedMarkdown('agent baton-worker', AGENT);
    expect(readFrontMatter(text)).toEqual({
      frontMatter: AGENT.frontMatter,
      body: AGENT.body,
      marker: {
        subject: 'agent baton-worker',
        note: 'baton setup rewrites this file; delete this line to keep your own edits',
      },
    });
    expect(readFrontMatter('just text')).toBeUndefined();
  });

  it('reports broken front matter with its line in the file', () => {
    expect(() => readFrontMatter('---\nname: a\nbad: [\n---\nbody\n', { file: 'a.md' })).toThrow(
      /^a\.md is not valid Markdown front matter at line \d+, column \d+/,
    );
    expect(() => readFrontMatter('---\nname: a\n')).toThrow(/no closing `---` line/);
  });
});

describe('agent Markdown round trip', () => {
  it('reads back exactly the front matter and body it rendered', () => {
    const scalar = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 16 }),
      fc.constantFrom(
        'yes',
        'No',
        'on',
        '~',
        'null',
        '1.0',
        '0x1F',
        'a: b',
        '- x',
        '#c',
        ' lead',
        'Read, Bash',
      ),
      fc.integer(),
      fc.boolean(),
    );
    const frontMatter = fc.dictionary(
      fc.oneof(
        fc.constantFrom('name', 'description', 'tools', 'on', 'with space'),
        fc.string({ maxLength: 6 }),
      ),
      fc.oneof(
        scalar,
        fc.array(scalar, { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 4 }), scalar, { maxKeys: 2 }),
      ),
      { maxKeys: 5 },
    );
    const body = fc
      .string({ unit: 'grapheme', maxLength: 40 })
      .map((text) => text.replace(/\r/g, ''));
    fc.assert(
      fc.property(
        frontMatter,
        body,
        fc.constantFrom('\n' as const, '\r\n' as const),
        (values, text, eol) => {
          const rendered = renderOwnedMarkdown('agent x', { frontMatter: values, body: text }, eol);
          const read = readFrontMatter(rendered);
          expect(read?.frontMatter).toEqual(values);
          expect(read?.body).toBe(text.replace(/\n/g, eol));
          expect(read?.marker?.subject).toBe('agent x');
          expect(planOwnedMarkdown(rendered, 'agent x', { frontMatter: values, body: text })).toBe(
            rendered,
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
