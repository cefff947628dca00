import { describe, expect, it } from 'vitest';
import {
  hermesHome,
  hermesProfileMapping,
  nativeProfileName,
  profileDirectory,
} from './profile.js';

describe('Hermes profile mapping', () => {
  it('maps an abstract profile onto a baton- prefixed profile directory name', () => {
    expect(nativeProfileName('worker')).toBe('baton-worker');
    expect(nativeProfileName('Fast Lane/2')).toBe('baton-fast-lane-2');
    expect(nativeProfileName('../..')).toBe('baton-profile');
  });

  it('finds the Hermes home: HERMES_HOME, else ~/.hermes plus the data-dir suffix', () => {
    expect(hermesHome({ HERMES_HOME: '/srv/hermes', HOME: '/home/u' })).toBe('/srv/hermes');
    expect(hermesHome({ HOME: '/home/u' })).toBe('/home/u/.hermes');
    expect(hermesHome({ HOME: '/home/u', HERMES_DATA_DIR_SUFFIX: '-ci' })).toBe(
      '/home/u/.hermes-ci',
    );
    expect(hermesHome({ HOME: '/home/u', HERMES_HOME: '' })).toBe('/home/u/.hermes');
  });

  it('puts profiles under <home>/profiles/<name>', () => {
    expect(profileDirectory('worker', { HOME: '/home/u' })).toBe(
      '/home/u/.hermes/profiles/baton-worker',
    );
    expect(profileDirectory('worker', { HERMES_HOME: '/srv/hermes' })).toBe(
      '/srv/hermes/profiles/baton-worker',
    );
  });

  it('describes where the native profile lives and how it is selected', () => {
    expect(hermesProfileMapping.nativeName('worker')).toBe('baton-worker');
    expect(hermesProfileMapping.describe('worker', { HOME: '/home/u' })).toBe(
      'Hermes profile /home/u/.hermes/profiles/baton-worker/ (config.yaml, .env, SOUL.md), selected with `hermes -p baton-worker`',
    );
  });
});
