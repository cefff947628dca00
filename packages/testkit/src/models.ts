import { CREATED_AT } from './reply.js';

/** The model ids the server lists when none are given. */
export const DEFAULT_MODELS: readonly string[] = ['stub-model'];

function modelObject(id: string): Record<string, unknown> {
  return { id, object: 'model', created: CREATED_AT, owned_by: 'baton-testkit' };
}

/** `GET /v1/models`: the OpenAI list shape, which LiteLLM serves too. */
export function modelList(models: readonly string[]): unknown {
  return { object: 'list', data: models.map(modelObject) };
}

/** `GET /v1/models/{id}`: any id answers, since scripts accept any model. */
export function model(id: string): unknown {
  return modelObject(id);
}

/** `GET /v1/model/info`: LiteLLM's per-deployment listing. */
export function modelInfo(models: readonly string[], apiBase: string): unknown {
  return {
    data: models.map((name, index) => ({
      model_name: name,
      litellm_params: { model: `openai/${name}`, api_base: apiBase },
      model_info: { id: `deployment-${index + 1}`, mode: 'chat' },
    })),
  };
}
