/**
 * Splits a byte stream into lines without ever holding more than one capped line: a line
 * longer than `maxLineBytes` is cut there, the rest of it is skipped up to its line break,
 * and it is reported as truncated. Splitting works on bytes (a line break byte never occurs
 * inside a UTF-8 sequence), and each line is decoded once it is complete.
 */
export type LineHandler = (line: string, truncated: boolean) => void;

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private truncated = false;
  private readonly maxLineBytes: number;
  private readonly onLine: LineHandler;

  constructor(maxLineBytes: number, onLine: LineHandler) {
    if (!(maxLineBytes > 0)) throw new RangeError('maxLineBytes must be positive');
    this.maxLineBytes = maxLineBytes;
    this.onLine = onLine;
  }

  push(chunk: Uint8Array): void {
    const buffer = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    while (start < buffer.length) {
      const newline = buffer.indexOf(0x0a, start);
      if (newline === -1) {
        this.keep(buffer.subarray(start));
        return;
      }
      if (this.pendingBytes === 0 && !this.truncated && newline - start <= this.maxLineBytes) {
        // The common case, a whole line inside one chunk: decode it in place, no copy.
        const end = newline > start && buffer[newline - 1] === 0x0d ? newline - 1 : newline;
        this.onLine(buffer.toString('utf8', start, end), false);
      } else {
        this.keep(buffer.subarray(start, newline));
        this.emit();
      }
      start = newline + 1;
    }
  }

  /** Flushes a last line that had no line break. */
  end(): void {
    if (this.pendingBytes > 0 || this.truncated) this.emit();
  }

  private keep(segment: Buffer): void {
    if (segment.length === 0) return;
    const room = this.maxLineBytes - this.pendingBytes;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    if (segment.length > room) {
      this.truncated = true;
      segment = segment.subarray(0, room);
    }
    // Copy: the stream may reuse the chunk's memory once this handler returns.
    this.pending.push(Buffer.from(segment));
    this.pendingBytes += segment.length;
  }

  private emit(): void {
    let bytes =
      this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d)
      bytes = bytes.subarray(0, bytes.length - 1);
    const truncated = this.truncated;
    this.pending = [];
    this.pendingBytes = 0;
    this.truncated = false;
    this.onLine(bytes.toString('utf8'), truncated);
  }
}

/** Keeps the last `maxBytes` of a stream (stderr), for error messages. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private readonly maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  push(chunk: Uint8Array): void {
    let buffer = Buffer.from(chunk);
    if (buffer.length >= this.maxBytes) buffer = buffer.subarray(buffer.length - this.maxBytes);
    this.chunks.push(buffer);
    this.bytes += buffer.length;
    while (this.bytes - this.chunks[0]!.length >= this.maxBytes) {
      this.bytes -= this.chunks.shift()!.length;
    }
  }

  toString(): string {
    const all = Buffer.concat(this.chunks, this.bytes);
    return all.subarray(Math.max(0, all.length - this.maxBytes)).toString('utf8');
  }
}
