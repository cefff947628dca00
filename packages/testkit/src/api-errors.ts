/** Which error body a reply uses: the OpenAI family's or Anthropic's. */
export type ErrorFamily = 'openai' | 'anthropic';

const OPENAI_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  405: 'invalid_request_error',
  413: 'invalid_request_error',
  429: 'rate_limit_error',
};

const OPENAI_CODES: Record<number, string> = {
  401: 'invalid_api_key',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'request_too_large',
  429: 'rate_limit_exceeded',
};

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/** OpenAI's `{"error":{"message","type","param","code"}}` (Responses, Chat Completions, models). */
export function openAiError(status: number, message: string, type?: string): unknown {
  return {
    error: {
      message,
      type:
        type ?? OPENAI_TYPES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
      param: null,
      code: OPENAI_CODES[status] ?? null,
    },
  };
}

/** Anthropic's `{"type":"error","error":{"type","message"}}`. */
export function anthropicError(status: number, message: string, type?: string): unknown {
  return {
    type: 'error',
    error: {
      type:
        type ?? ANTHROPIC_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'),
      message,
    },
  };
}

export function errorBody(
  family: ErrorFamily,
  status: number,
  message: string,
  type?: string,
  fields: Readonly<Record<string, unknown>> = {},
): unknown {
  const body = (
    family === 'anthropic'
      ? anthropicError(status, message, type)
      : openAiError(status, message, type)
  ) as { error: Record<string, unknown> };
  return { ...body, error: { ...body.error, ...fields } };
}

/** A default message naming the status, so a client's error output says what happened. */
export function defaultErrorMessage(status: number): string {
  return `Scripted error: HTTP ${status}`;
}
