import { presentedKey } from './auth.js';
import { CREATED_AT } from './reply.js';

/** A status and JSON body to send. */
export interface JsonReply {
  status: number;
  body: unknown;
}

/** `GET /health/liveliness` (alias `/health/liveness`): no auth, a JSON string. */
export function liveliness(): JsonReply {
  return { status: 200, body: "I'm alive!" };
}

/** `GET /health/readiness`: no auth; a proxy without a database reports `Not connected`. */
export function readiness(litellmVersion: string): JsonReply {
  return {
    status: 200,
    body: {
      status: 'healthy',
      db: 'Not connected',
      cache: null,
      litellm_version: litellmVersion,
      success_callbacks: [],
      last_updated: new Date(CREATED_AT * 1000).toISOString(),
    },
  };
}

/**
 * `GET /health`: needs the master key, like the real proxy, which answers a keyless call
 * with its own 401 body. Every model counts as a healthy endpoint.
 */
export function health(
  headers: Readonly<Record<string, string>>,
  expectedKey: string | undefined,
  models: readonly string[],
  apiBase: string,
): JsonReply {
  const key = presentedKey(headers);
  if (key === undefined || key === '') {
    return proxyAuthError('Authentication Error, No api key passed in.');
  }
  if (expectedKey !== undefined && key !== expectedKey) {
    return proxyAuthError('Authentication Error, Invalid proxy server token passed.');
  }
  return {
    status: 200,
    body: {
      healthy_endpoints: models.map((model) => ({ model: `openai/${model}`, api_base: apiBase })),
      unhealthy_endpoints: [],
      healthy_count: models.length,
      unhealthy_count: 0,
    },
  };
}

function proxyAuthError(message: string): JsonReply {
  return {
    status: 401,
    body: { error: { message, type: 'auth_error', param: 'None', code: '401' } },
  };
}
