/**
 * Strict UTF-8 decoding for files Baton reads. A lenient decoder turns a stray byte into
 * U+FFFD, which would then become part of a name or a value; a strict one refuses, and this
 * one also says where, so the user can find the byte.
 */

export type Utf8Result =
  | { readonly ok: true; readonly text: string }
  | {
      readonly ok: false;
      /** 0-based offset of the first byte that does not start a valid sequence. */
      readonly offset: number;
      readonly byte: number;
      /** 1-based line and column (in characters) of that byte. */
      readonly line: number;
      readonly column: number;
    };

const strictDecoder = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Uint8Array): Utf8Result {
  try {
    return { ok: true, text: strictDecoder.decode(bytes) };
  } catch {
    // Only bad input gets here, so the byte-by-byte scan costs nothing on valid files.
    const offset = firstInvalidUtf8Offset(bytes);
    if (offset === undefined) throw new Error('the UTF-8 decoder and the scanner disagree');
    const lineStart = bytes.lastIndexOf(0x0a, offset - 1) + 1;
    let line = 1;
    for (let index = 0; index < lineStart; index++) if (bytes[index] === 0x0a) line++;
    // The bytes before the bad one on its line are valid, so they decode strictly.
    const before = strictDecoder.decode(bytes.subarray(lineStart, offset));
    const column = Array.from(before).length + 1;
    return { ok: false, offset, byte: bytes[offset]!, line, column };
  }
}

/**
 * The offset of the first byte a strict decoder would replace, following the well-formed
 * byte sequences of the Unicode standard (table 3-7): no overlong forms, no surrogates,
 * nothing above U+10FFFF, no truncated sequence.
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number | undefined {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index]!;
    if (lead < 0x80) {
      index++;
      continue;
    }
    let following: number;
    let lowest = 0x80;
    let highest = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) following = 1;
    else if (lead === 0xe0) [following, lowest] = [2, 0xa0];
    else if (lead === 0xed) [following, highest] = [2, 0x9f];
    else if (lead >= 0xe1 && lead <= 0xef) following = 2;
    else if (lead === 0xf0) [following, lowest] = [3, 0x90];
    else if (lead === 0xf4) [following, highest] = [3, 0x8f];
    else if (lead >= 0xf1 && lead <= 0xf3) following = 3;
    else return index;
    for (let step = 1; step <= following; step++) {
      const next = bytes[index + step];
      if (next === undefined || next < lowest || next > highest) return index;
      lowest = 0x80;
      highest = 0xbf;
    }
    index += following + 1;
  }
  return undefined;
}
