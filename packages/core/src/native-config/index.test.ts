import { describe, expect, it } from 'vitest';
import * as nativeConfig from './index.js';

describe('@baton/core/native-config', () => {
  it('exports exactly its public functions and constants', () => {
    expect(Object.keys(nativeConfig).sort()).toEqual([
      'BLOCK_NOTE',
      'FILE_NOTE',
      'MANAGED_MARKER_PREFIX',
      'applyFileChange',
      'applyNativeConfigChanges',
      'assertOwnedMarkdown',
      'editJson',
      'editToml',
      'editYaml',
      'extractLegacyProfile',
      'findGitWorkTree',
      'findLegacyProfile',
      'formatTomlValue',
      'isBatonOwnedMarkdown',
      'managedMarker',
      'markdownMarker',
      'originalRecords',
      'parseManagedMarker',
      'planOwnedMarkdown',
      'readFileSnapshot',
      'readFrontMatter',
      'removeJsonValue',
      'removeTomlKeys',
      'removeTomlTable',
      'removeYamlSequenceItem',
      'removeYamlValue',
      'renderOwnedMarkdown',
      'sequenceItemSubject',
      'setJsonValue',
      'setTomlValues',
      'setYamlValue',
      'setYamlValueInItem',
      'unifiedDiff',
      'upsertYamlSequenceItem',
    ]);
  });

  it('writes and reads back the managed marker', () => {
    const line = nativeConfig.managedMarker('[model_providers.baton]');
    expect(line).toBe(
      '# managed by baton: [model_providers.baton] — edit outside this block freely',
    );
    expect(nativeConfig.parseManagedMarker(`  ${line}\r`)).toEqual({
      subject: '[model_providers.baton]',
      note: 'edit outside this block freely',
    });
    expect(nativeConfig.parseManagedMarker('# managed by someone else')).toBeUndefined();
    expect(() => nativeConfig.managedMarker('two\nlines')).toThrow(TypeError);
  });
});
