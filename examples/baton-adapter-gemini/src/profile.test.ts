import { describe, expect, it } from 'vitest';
import {
  extensionDirectory,
  extensionManifestPath,
  geminiDirectory,
  geminiProfileMapping,
  nativeProfileName,
  profileNameProblem,
} from './profile.js';

describe('the Gemini profile mapping', () => {
  it('names the extension baton-<profile>', () => {
    expect(nativeProfileName('worker')).toBe('baton-worker');
    expect(geminiProfileMapping.nativeName('review-2')).toBe('baton-review-2');
  });

  it('accepts only the extension names Gemini CLI accepts', () => {
    expect(profileNameProblem('baton-worker')).toBeNull();
    expect(profileNameProblem('baton-Worker-2')).toBeNull();
    expect(profileNameProblem('baton-my_profile')).toBe(
      '"baton-my_profile" is not a valid Gemini CLI extension name (letters, digits and "-" only)',
    );
    expect(profileNameProblem('baton-a.b')).not.toBeNull();
  });

  it('finds ~/.gemini from HOME, and GEMINI_CLI_HOME over it', () => {
    expect(geminiDirectory({ HOME: '/home/ada' })).toBe('/home/ada/.gemini');
    expect(geminiDirectory({ HOME: '/home/ada', GEMINI_CLI_HOME: '/srv/gemini' })).toBe(
      '/srv/gemini/.gemini',
    );
    expect(geminiDirectory({ HOME: '/home/ada', GEMINI_CLI_HOME: '' })).toBe('/home/ada/.gemini');
  });

  it('puts the profile in its own extension directory', () => {
    const env = { HOME: '/home/ada' };
    expect(extensionDirectory('worker', env)).toBe('/home/ada/.gemini/extensions/baton-worker');
    expect(extensionManifestPath('worker', env)).toBe(
      '/home/ada/.gemini/extensions/baton-worker/gemini-extension.json',
    );
  });

  it('describes where the profile lives and how it is selected', () => {
    expect(geminiProfileMapping.describe('worker', { HOME: '/home/ada' })).toBe(
      '/home/ada/.gemini/extensions/baton-worker/gemini-extension.json (a Gemini CLI extension, selected alone with `gemini --extensions baton-worker`)',
    );
  });
});
