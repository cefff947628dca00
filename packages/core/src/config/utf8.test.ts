import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUtf8, firstInvalidUtf8Offset } from './utf8.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
const utf8 = (text: string) => new TextEncoder().encode(text);
const lenient = new TextDecoder('utf-8');

describe('decodeUtf8', () => {
  it('decodes valid UTF-8, multi-byte characters and all', () => {
    expect(decodeUtf8(utf8('model = "gpt" # ключ 🚀\n'))).toEqual({
      ok: true,
      text: 'model = "gpt" # ключ 🚀\n',
    });
  });

  it('gives the offset, line and column of the first invalid byte', () => {
    const text = utf8('[orchestrator]\nrun = "ключ');
    const input = new Uint8Array([...text, 0xff, 0x22, 0x0a]);
    expect(decodeUtf8(input)).toEqual({
      ok: false,
      offset: text.length,
      byte: 0xff,
      line: 2,
      // `run = "` is 7 characters and `ключ` 4 more, though 8 bytes: columns count characters.
      column: 12,
    });
  });

  it.each([
    ['a lone continuation byte', bytes(0x61, 0x80), 1],
    ['an overlong encoding of "/"', bytes(0xc0, 0xaf), 0],
    ['an overlong three-byte form', bytes(0x61, 0xe0, 0x80, 0xaf), 1],
    ['a UTF-16 surrogate', bytes(0xed, 0xa0, 0x80), 0],
    ['a code point above U+10FFFF', bytes(0xf4, 0x90, 0x80, 0x80), 0],
    ['a sequence cut short by ASCII', bytes(0xe2, 0x28, 0xa1), 0],
    ['a sequence cut short by the end', bytes(0x61, 0x62, 0xf0, 0x9f, 0x9a), 2],
    ['a byte never used in UTF-8', bytes(0x61, 0xfe), 1],
  ])('finds %s', (_name, input, offset) => {
    expect(firstInvalidUtf8Offset(input)).toBe(offset);
    expect(decodeUtf8(input)).toMatchObject({ ok: false, offset });
  });

  it('agrees with the platform decoder on any bytes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: 0, max: 255 }),
            // Valid sequences too, so invalid bytes also come after real characters.
            fc.string({ unit: 'grapheme', maxLength: 3 }).map((text) => [...utf8(text)]),
          ),
          { maxLength: 40 },
        ),
        (parts) => {
          const input = Uint8Array.from(parts.flat());
          const offset = firstInvalidUtf8Offset(input);
          const strict = decodeUtf8(input);
          let platformAccepts = true;
          try {
            new TextDecoder('utf-8', { fatal: true }).decode(input);
          } catch {
            platformAccepts = false;
          }
          expect(offset === undefined).toBe(platformAccepts);
          expect(strict.ok).toBe(platformAccepts);
          if (offset === undefined) return;
          // Everything before the offset is valid, and a lenient decoder replaces the very
          // next thing: the offset is exactly where the first replacement character appears.
          const before = lenient.decode(input.subarray(0, offset));
          expect(decodeUtf8(input.subarray(0, offset)).ok).toBe(true);
          expect(lenient.decode(input).slice(before.length)).toMatch(/^\uFFFD/);
        },
      ),
      { numRuns: 500 },
    );
  });
});
