import { describe, expect, it } from 'vitest';
import { formatFrame, jsonFrame, parseSse } from './sse.js';

describe('SSE frames', () => {
  it('writes an event line, one data line per payload line and a blank line', () => {
    expect(formatFrame(jsonFrame('ping', { type: 'ping' }))).toBe(
      'event: ping\ndata: {"type":"ping"}\n\n',
    );
    expect(formatFrame({ data: 'a\nb' })).toBe('data: a\ndata: b\n\n');
    expect(formatFrame({ data: '[DONE]' })).toBe('data: [DONE]\n\n');
  });

  it('parses frames back, ignoring comments and CRLF line ends', () => {
    const body = ': comment\r\nevent: x\r\ndata: 1\r\n\r\ndata: a\ndata: b\n\nretry: 5\n\n';
    expect(parseSse(body)).toEqual([{ event: 'x', data: '1' }, { data: 'a\nb' }]);
  });
});
