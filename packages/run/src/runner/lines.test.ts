import { describe, expect, it } from 'vitest';
import { LineSplitter, TailBuffer } from './lines.js';

function split(chunks: (string | Buffer)[], max = 1024): [string, boolean][] {
  const lines: [string, boolean][] = [];
  const splitter = new LineSplitter(max, (line, truncated) => lines.push([line, truncated]));
  for (const chunk of chunks) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  splitter.end();
  return lines;
}

describe('LineSplitter', () => {
  it('splits across chunk boundaries and strips CRLF', () => {
    expect(split(['{"a":', '1}\n{"b"', ':2}\r\n', 'tail'])).toEqual([
      ['{"a":1}', false],
      ['{"b":2}', false],
      ['tail', false],
    ]);
    expect(split(['a\r\nb\nc'])).toEqual([
      ['a', false],
      ['b', false],
      ['c', false],
    ]);
    expect(split(['\n\n'])).toEqual([
      ['', false],
      ['', false],
    ]);
  });

  it('keeps multi-byte characters split across chunks intact', () => {
    const bytes = Buffer.from('héllo ✓\n');
    expect(split([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)])).toEqual([
      ['héllo ✓', false],
    ]);
  });

  it('cuts a line at the cap and skips the rest of it', () => {
    expect(split(['abcdefghij', 'klmnop\nnext\n'], 8)).toEqual([
      ['abcdefgh', true],
      ['next', false],
    ]);
    expect(split(['x'.repeat(20)], 5)).toEqual([['xxxxx', true]]);
  });
});

describe('TailBuffer', () => {
  it('keeps the last bytes only', () => {
    const tail = new TailBuffer(5);
    tail.push(Buffer.from('abc'));
    tail.push(Buffer.from('defg'));
    expect(tail.toString()).toBe('cdefg');
    tail.push(Buffer.from('0123456789'));
    expect(tail.toString()).toBe('56789');
  });
});
