import { describe, expect, it } from 'vitest';
import {
  agentFilePath,
  globalConfigPath,
  openCodeConfigDirectory,
  openCodeProfileMapping,
} from './profile.js';

describe('the OpenCode profile mapping', () => {
  it('names the native agent baton-<profile>', () => {
    expect(openCodeProfileMapping.nativeName('worker')).toBe('baton-worker');
    expect(openCodeProfileMapping.nativeName('reviewer-2')).toBe('baton-reviewer-2');
  });

  it('finds the config directory in $XDG_CONFIG_HOME, else ~/.config', () => {
    expect(openCodeConfigDirectory({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/u' })).toBe(
      '/xdg/opencode',
    );
    expect(openCodeConfigDirectory({ XDG_CONFIG_HOME: '', HOME: '/home/u' })).toBe(
      '/home/u/.config/opencode',
    );
    expect(globalConfigPath({ HOME: '/home/u' })).toBe('/home/u/.config/opencode/opencode.json');
    expect(agentFilePath('worker', { HOME: '/home/u' })).toBe(
      '/home/u/.config/opencode/agents/baton-worker.md',
    );
  });

  it('describes where the profile lives and how it is selected', () => {
    expect(openCodeProfileMapping.describe('worker', { XDG_CONFIG_HOME: '/xdg' })).toBe(
      '/xdg/opencode/agents/baton-worker.md (an OpenCode agent; or agent "baton-worker" in an ' +
        'opencode.json), selected with `opencode run --agent baton-worker`',
    );
  });
});
