import { describe, expect, it } from 'vitest';
import { litellmProfileMapping, nativeModelAlias } from './profile.js';

describe('LiteLLM profile mapping', () => {
  it('maps a backend profile onto a baton- model alias', () => {
    expect(nativeModelAlias('worker')).toBe('baton-worker');
    expect(nativeModelAlias('Fast Lane')).toBe('baton-fast-lane');
    expect(litellmProfileMapping.nativeName('worker')).toBe('baton-worker');
  });

  it('describes the alias and how it is selected', () => {
    expect(litellmProfileMapping.describe('worker', {})).toBe(
      "LiteLLM model alias `baton-worker` (a model_list entry with model_name: baton-worker in the proxy's config.yaml), sent as the request's model",
    );
  });
});
