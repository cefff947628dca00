import { describe, expect, it } from 'vitest';
import { claudeCodeProfileMapping, claudeConfigDirectory, profileSettingsPath } from './profile.js';

describe('the Claude Code profile mapping', () => {
  it('names the native profile baton-<profile>', () => {
    expect(claudeCodeProfileMapping.nativeName('worker')).toBe('baton-worker');
    expect(claudeCodeProfileMapping.nativeName('reviewer-2')).toBe('baton-reviewer-2');
  });

  it('keeps the settings file in $CLAUDE_CONFIG_DIR, else ~/.claude', () => {
    expect(claudeConfigDirectory({ CLAUDE_CONFIG_DIR: '/cfg', HOME: '/home/u' })).toBe('/cfg');
    expect(claudeConfigDirectory({ CLAUDE_CONFIG_DIR: '', HOME: '/home/u' })).toBe(
      '/home/u/.claude',
    );
    expect(profileSettingsPath('worker', { HOME: '/home/u' })).toBe(
      '/home/u/.claude/baton-worker.settings.json',
    );
  });

  it('describes where the profile lives and how it is selected', () => {
    expect(claudeCodeProfileMapping.describe('worker', { CLAUDE_CONFIG_DIR: '/cfg' })).toBe(
      '/cfg/baton-worker.settings.json (a Claude Code settings file, selected with --settings)',
    );
  });

  it('refuses names that are not a plain file name', () => {
    for (const name of ['', '.', '..', 'a/b', '..\\x', 'nul\0']) {
      expect(() => profileSettingsPath(name, { HOME: '/h' }), JSON.stringify(name)).toThrow(
        /cannot name a Claude Code settings file/,
      );
    }
  });
});
