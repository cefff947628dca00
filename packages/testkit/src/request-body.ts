import type { IncomingMessage } from 'node:http';
import zlib from 'node:zlib';

/** The body of a request, or why it was refused. */
export type BodyResult =
  | { kind: 'ok'; text: string }
  | { kind: 'too-large' }
  | { kind: 'bad-encoding'; message: string };

/** 20 MiB: more than the largest real CLI request (long histories, big tool lists). */
export const DEFAULT_BODY_LIMIT = 20 * 1024 * 1024;

/**
 * Reads a whole body, decoding any content-encoding, and refuses one over `limit` bytes.
 * An oversized body is still drained to its end, so the client reads the 413 instead of
 * a connection reset in the middle of its upload.
 */
export async function readBody(request: IncomingMessage, limit: number): Promise<BodyResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) tooLarge = true;
    if (!tooLarge) chunks.push(chunk);
  }
  if (tooLarge) return { kind: 'too-large' };
  const raw = Buffer.concat(chunks);
  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  try {
    const decoded = decode(raw, encoding, limit);
    if (decoded === undefined) {
      return { kind: 'bad-encoding', message: `unsupported content-encoding "${encoding}"` };
    }
    return { kind: 'ok', text: decoded.toString('utf8') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return { kind: 'too-large' };
    }
    return { kind: 'bad-encoding', message: `could not decode the ${encoding} body` };
  }
}

function decode(raw: Buffer, encoding: string, limit: number): Buffer | undefined {
  // A decompressed body obeys the same limit as a plain one.
  const options = { maxOutputLength: limit };
  switch (encoding) {
    case '':
    case 'identity':
      return raw;
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(raw, options);
    case 'deflate':
      return zlib.inflateSync(raw, options);
    case 'br':
      return zlib.brotliDecompressSync(raw, options);
    case 'zstd':
      // zstd arrived in Node 22.15; older runtimes answer 415 like any unknown encoding.
      return typeof zlib.zstdDecompressSync === 'function'
        ? zlib.zstdDecompressSync(raw, options)
        : undefined;
    default:
      return undefined;
  }
}
