import type { ReplyContext } from './reply.js';
import { CREATED_AT, counterId } from './reply.js';
import type { SseFrame } from './sse.js';
import { jsonFrame } from './sse.js';

/**
 * A Responses stream that starts and then fails: `response.created`, then `response.failed`
 * whose `response.error` is the scripted error object. This is how the Responses API reports
 * a failure after the HTTP status is sent (a rate limit with "try again in 2.5s", an
 * exhausted quota), and what Codex reads `code` and `message` from.
 */
export function failedResponseFrames(
  error: Record<string, unknown>,
  context: ReplyContext,
): SseFrame[] {
  const response = (status: 'in_progress' | 'failed') => ({
    id: counterId('resp_', context.seq),
    object: 'response',
    created_at: CREATED_AT,
    status,
    error: status === 'failed' ? error : null,
    incomplete_details: null,
    model: context.model,
    output: [],
    usage: null,
  });
  return [
    jsonFrame('response.created', {
      type: 'response.created',
      sequence_number: 0,
      response: response('in_progress'),
    }),
    jsonFrame('response.failed', {
      type: 'response.failed',
      sequence_number: 1,
      response: response('failed'),
    }),
  ];
}
