import type {
  AdapterIdentity,
  CheckResult,
  DoctorCheck,
  DoctorContext,
  Environment,
} from '@baton/core';
import { runCommand, satisfies } from '@baton/core/doctor';
import { buildLitellmCommand, proxyRoot, selectedModel } from './command.js';
import { createLitellmDecoder } from './decode.js';
import { nativeModelAlias } from './profile.js';

/** Each HTTP call of a cheap check gets this long. */
export const REQUEST_TIMEOUT_MS = 5_000;
const PROBE_RUN_TIMEOUT_MS = 60_000;
export const PROBE_PROMPT = 'Reply with the single word: pong';
export const PROBE_MAX_TOKENS = 8;

const START_HINT =
  'Start the proxy (`litellm --config config.yaml`, port 4000 by default) or fix base_url under [runtimes.litellm] in baton.toml.';

export type HttpResult =
  | { readonly ok: true; readonly status: number; readonly text: string; readonly json: unknown }
  | { readonly ok: false; readonly code: string | null; readonly message: string };

/** A bounded GET: aborted by the check's signal or after `REQUEST_TIMEOUT_MS`, whichever first. */
export async function getJson(
  url: string,
  context: Pick<DoctorContext, 'signal'>,
  key?: string,
): Promise<HttpResult> {
  try {
    const response = await fetch(url, {
      headers: {
        accept: 'application/json',
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      },
      signal: AbortSignal.any([context.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { ok: true, status: response.status, text, json };
  } catch (error) {
    const outer = error as Error & { cause?: { code?: unknown; message?: unknown } };
    if (outer.name === 'TimeoutError' || outer.name === 'AbortError') {
      return {
        ok: false,
        code: 'TIMEOUT',
        message: `no answer within ${REQUEST_TIMEOUT_MS / 1000}s`,
      };
    }
    const code = typeof outer.cause?.code === 'string' ? outer.cause.code : null;
    const detail = typeof outer.cause?.message === 'string' ? outer.cause.message : outer.message;
    return { ok: false, code, message: detail };
  }
}

function root(context: Pick<DoctorContext, 'settings'>): string {
  return proxyRoot(context.settings.baseUrl ?? '');
}

function unreachable(url: string, result: Extract<HttpResult, { ok: false }>): CheckResult {
  return {
    status: 'fail',
    summary: `cannot reach ${url}: ${result.code === null ? result.message : `${result.code} (${result.message})`}`,
    remediation: START_HINT,
  };
}

function errorText(result: Extract<HttpResult, { ok: true }>): string {
  const body = result.json as
    | { error?: { message?: unknown } | string; detail?: unknown }
    | undefined;
  const error = body?.error;
  if (typeof error === 'string') return error;
  if (error && typeof error.message === 'string') return error.message;
  if (typeof body?.detail === 'string') return body.detail;
  return result.text.trim().slice(0, 200);
}

/** The key for the proxy: the value of `api_key_env`, `undefined` without one, `null` when it is unset. */
function proxyKey(context: Pick<DoctorContext, 'settings' | 'env'>): string | undefined | null {
  const name = context.settings.apiKeyEnv;
  if (name === undefined || name === '') return undefined;
  const value = context.env[name];
  return value === undefined || value === '' ? null : value;
}

export function baseUrlCheck(): DoctorCheck {
  return {
    id: 'base-url',
    async run(context) {
      const baseUrl = context.settings.baseUrl;
      if (baseUrl === undefined || baseUrl.trim() === '') {
        return {
          status: 'fail',
          summary: 'no base_url configured: LiteLLM is reached over HTTP only',
          remediation:
            'Set base_url = "http://127.0.0.1:4000" (the proxy root) under [runtimes.litellm] in baton.toml.',
        };
      }
      let parsed: URL;
      try {
        parsed = new URL(proxyRoot(baseUrl));
      } catch {
        return {
          status: 'fail',
          summary: `base_url ${JSON.stringify(baseUrl)} is not a URL`,
          remediation: 'Use the proxy root, e.g. base_url = "http://127.0.0.1:4000".',
        };
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        return {
          status: 'fail',
          summary: `base_url ${baseUrl} is not http(s)`,
          remediation: 'Use an http:// or https:// URL.',
        };
      }
      return { status: 'pass', summary: `proxy at ${proxyRoot(baseUrl)}` };
    },
  };
}

export function livelinessCheck(): DoctorCheck {
  return {
    id: 'liveliness',
    dependsOn: ['base-url'],
    async run(context) {
      const url = `${root(context)}/health/liveliness`;
      const result = await getJson(url, context);
      if (!result.ok) return unreachable(root(context), result);
      if (result.status === 200 && result.json === "I'm alive!") {
        return { status: 'pass', summary: `proxy alive (GET /health/liveliness)` };
      }
      if (result.status === 503) {
        return {
          status: 'fail',
          summary: 'the proxy is shutting down (503 from /health/liveliness)',
          remediation: START_HINT,
        };
      }
      if (result.status === 200) {
        return {
          status: 'warn',
          summary: `/health/liveliness answered 200 but not LiteLLM's "I'm alive!": ${result.text.slice(0, 80)}`,
          remediation: 'Check that base_url points at a LiteLLM proxy.',
        };
      }
      return {
        status: 'fail',
        summary: `GET /health/liveliness answered ${result.status}: is ${root(context)} a LiteLLM proxy?`,
        remediation: 'Check that base_url points at a LiteLLM proxy root.',
      };
    },
  };
}

export function readinessCheck(identity: AdapterIdentity): DoctorCheck {
  return {
    id: 'version',
    dependsOn: ['liveliness'],
    async run(context) {
      const result = await getJson(`${root(context)}/health/readiness`, context);
      if (!result.ok) return unreachable(root(context), result);
      const body = result.json as { status?: unknown; litellm_version?: unknown } | undefined;
      if (result.status !== 200) {
        return {
          status: 'fail',
          summary: `the proxy is not ready (${result.status} from /health/readiness)`,
          remediation: 'Read the proxy log; it is up but not ready to accept requests.',
        };
      }
      const version = typeof body?.litellm_version === 'string' ? body.litellm_version : undefined;
      const state = typeof body?.status === 'string' ? body.status : 'unknown';
      if (version === undefined) {
        return {
          status: 'warn',
          summary: `ready (${state}), but /health/readiness names no litellm_version`,
        };
      }
      if (state !== 'healthy' && state !== 'connected') {
        return { status: 'warn', version, summary: `LiteLLM ${version} reports status "${state}"` };
      }
      let inRange: boolean;
      try {
        inRange = satisfies(version, identity.testedVersions);
      } catch {
        inRange = false;
      }
      if (!inRange) {
        return {
          status: 'warn',
          version,
          summary: `LiteLLM ${version} is outside the tested range ${identity.testedVersions}`,
          remediation: `Baton was tested with LiteLLM ${identity.testedVersions}; other versions may change the API.`,
        };
      }
      return {
        status: 'pass',
        version,
        summary: `LiteLLM ${version} ready (${state}; tested: ${identity.testedVersions})`,
      };
    },
  };
}

/** `GET /v1/models` with the key: the model names the key may use, or why not. */
async function listModels(
  context: DoctorContext,
): Promise<{ ids: string[] } | { result: CheckResult }> {
  const key = proxyKey(context);
  if (key === null) {
    return {
      result: {
        status: 'fail',
        summary: `$${context.settings.apiKeyEnv} (api_key_env) is not set`,
        remediation: `export ${context.settings.apiKeyEnv}=<LiteLLM master or virtual key>`,
      },
    };
  }
  const result = await getJson(`${root(context)}/v1/models`, context, key);
  if (!result.ok) return { result: unreachable(root(context), result) };
  if (result.status === 401 || result.status === 403) {
    return {
      result:
        key === undefined
          ? {
              status: 'fail',
              summary: `the proxy requires a key (${result.status} from /v1/models): ${errorText(result)}`,
              remediation:
                'Set api_key_env under [runtimes.litellm] to the variable holding a LiteLLM master or virtual key.',
            }
          : {
              status: 'fail',
              summary: `key rejected: $${context.settings.apiKeyEnv} got ${result.status} from /v1/models: ${errorText(result)}`,
              remediation: `Put a valid LiteLLM master or virtual key in $${context.settings.apiKeyEnv}.`,
            },
    };
  }
  const data = (result.json as { data?: unknown } | undefined)?.data;
  if (result.status !== 200 || !Array.isArray(data)) {
    return {
      result: {
        status: 'fail',
        summary: `GET /v1/models answered ${result.status} without a model list: ${result.text.slice(0, 120)}`,
        remediation: 'Check that base_url points at a LiteLLM proxy root.',
      },
    };
  }
  const ids = data
    .map((entry) => (entry as { id?: unknown } | null)?.id)
    .filter((id): id is string => typeof id === 'string');
  return { ids };
}

export function authCheck(): DoctorCheck {
  return {
    id: 'auth',
    dependsOn: ['liveliness'],
    async run(context) {
      const listed = await listModels(context);
      if ('result' in listed) return listed.result;
      const how =
        proxyKey(context) === undefined
          ? 'no key needed'
          : `key from $${context.settings.apiKeyEnv} accepted`;
      return { status: 'pass', summary: `${how}; ${listed.ids.length} model name(s) available` };
    },
  };
}

export function profileCheck(): DoctorCheck {
  return {
    id: 'profile',
    dependsOn: ['auth'],
    async run(context) {
      if (context.profile === null) {
        return {
          status: 'skip',
          summary: 'no backend profile configured; requests use the configured model',
        };
      }
      const alias = nativeModelAlias(context.profile);
      const listed = await listModels(context);
      if ('result' in listed) return listed.result;
      if (listed.ids.includes(alias)) {
        return { status: 'pass', summary: `model alias ${alias} is served by the proxy` };
      }
      return {
        status: 'fail',
        summary: `model alias ${alias} is not in the proxy's model list (${listed.ids.slice(0, 8).join(', ') || 'empty'})`,
        remediation: `Add a model_list entry with model_name: ${alias} to the proxy's config.yaml and restart the proxy.`,
      };
    },
  };
}

export function modelCheck(): DoctorCheck {
  return {
    id: 'model',
    dependsOn: ['auth'],
    async run(context) {
      if (context.profile !== null) {
        return {
          status: 'skip',
          summary: `the backend profile's alias ${nativeModelAlias(context.profile)} is the request's model`,
        };
      }
      const model = context.settings.model;
      if (model === undefined || model === '') {
        return {
          status: 'fail',
          summary: 'no model configured: a chat completion needs a model_name',
          remediation:
            'Set model = "<a model_name from the proxy config.yaml>" under [runtimes.litellm], or configure a backend profile.',
        };
      }
      const listed = await listModels(context);
      if ('result' in listed) return listed.result;
      if (listed.ids.includes(model))
        return { status: 'pass', summary: `model ${model} is served by the proxy` };
      return {
        status: 'warn',
        summary: `model ${model} is not in /v1/models (a wildcard route may still serve it)`,
        remediation: `Add model_name: ${model} to the proxy's config.yaml, or use one of: ${listed.ids.slice(0, 8).join(', ')}`,
      };
    },
  };
}

const PROBE_REMEDIATION: Record<string, string> = {
  auth: 'The proxy rejected the key: check api_key_env.',
  network: START_HINT,
  'rate-limit': 'The proxy or its upstream is rate-limiting; try again later.',
  server: 'The proxy or its upstream failed; read the proxy log.',
  model:
    'The proxy rejected the model or request: check [runtimes.litellm] model / the profile alias.',
  timeout: 'The proxy did not answer in time.',
  permission: 'The key may not use this model: check the key’s allowed models.',
  unknown: 'Read the proxy log for this request.',
};

/** One tiny real completion, through the same client process a stage uses. */
export function probeCheck(): DoctorCheck {
  return {
    id: 'probe',
    probe: true,
    dependsOn: ['auth'],
    async run(context) {
      const request = {
        stage: context.stages[0] ?? 'interview',
        prompt: PROBE_PROMPT,
        contract: '',
        cwd: context.cwd,
        access: 'read-only',
        profile: context.profile,
        settings: context.settings,
        scratchDir: context.cwd,
        env: context.env,
      } as const;
      if (selectedModel(request) === undefined) {
        return {
          status: 'fail',
          summary: 'no model to probe',
          remediation: 'Configure a model or a backend profile.',
        };
      }
      const command = buildLitellmCommand(request, { maxTokens: PROBE_MAX_TOKENS });
      const started = Date.now();
      const result = await runCommand(command.file, command.args, {
        env: { ...context.env, ...command.env } as Environment,
        cwd: command.cwd,
        timeoutMs: PROBE_RUN_TIMEOUT_MS,
        signal: context.signal,
        input: command.stdin ?? '',
      });
      if (result.timedOut) {
        return {
          status: 'fail',
          summary: `no completion within ${PROBE_RUN_TIMEOUT_MS / 1000}s`,
          remediation: START_HINT,
        };
      }
      const decoder = createLitellmDecoder();
      for (const line of result.stdout.split('\n')) decoder.push(line);
      const outcome = decoder.finish({
        exitCode: result.exitCode,
        signal: null,
        stderrTail: `${result.stderr}${result.spawnError ?? ''}`.slice(-4000),
        resultFiles: {},
      });
      if (outcome.status === 'succeeded') {
        const reply = (outcome.finalText ?? '').replace(/\s+/g, ' ').slice(0, 60);
        return { status: 'pass', summary: `completion in ${Date.now() - started} ms: "${reply}"` };
      }
      const error = outcome.error!;
      return {
        status: 'fail',
        summary: `probe failed (${error.kind}): ${error.message}`,
        remediation: PROBE_REMEDIATION[error.kind],
      };
    },
  };
}

export function litellmDoctorChecks(identity: AdapterIdentity): DoctorCheck[] {
  return [
    baseUrlCheck(),
    livelinessCheck(),
    readinessCheck(identity),
    authCheck(),
    profileCheck(),
    modelCheck(),
    probeCheck(),
  ];
}
