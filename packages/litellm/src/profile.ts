import type { ProfileMapping } from '@baton/core';

/**
 * A backend profile is a LiteLLM model alias: `worker` → the `model_name` `baton-worker` in
 * the proxy's `config.yaml`. The request's `model` field is the one selector.
 */
export function nativeModelAlias(profile: string): string {
  const segment = profile
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `baton-${segment === '' ? 'profile' : segment}`;
}

export const litellmProfileMapping: ProfileMapping = {
  nativeName: nativeModelAlias,
  describe(profile) {
    const alias = nativeModelAlias(profile);
    return `LiteLLM model alias \`${alias}\` (a model_list entry with model_name: ${alias} in the proxy's config.yaml), sent as the request's model`;
  },
};
