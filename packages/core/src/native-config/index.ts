export {
  type ApplyResult,
  applyFileChange,
  type FileChange,
  type FileIdentity,
  type FileSnapshot,
  findGitWorkTree,
  readFileSnapshot,
} from './apply.js';
export {
  type AppliedChange,
  type ApplyChangesOptions,
  applyNativeConfigChanges,
} from './apply-changes.js';
export { unifiedDiff } from './diff.js';
export {
  editJson,
  type JsonEdit,
  type JsonEditOptions,
  type JsonValue,
  removeJsonValue,
  setJsonValue,
} from './json-edit.js';
export {
  BLOCK_NOTE,
  FILE_NOTE,
  MANAGED_MARKER_PREFIX,
  managedMarker,
  parseManagedMarker,
} from './managed-marker.js';
export {
  type AgentMarkdown,
  assertOwnedMarkdown,
  type FrontMatterFile,
  isBatonOwnedMarkdown,
  type MarkdownOptions,
  markdownMarker,
  planOwnedMarkdown,
  readFrontMatter,
  renderOwnedMarkdown,
} from './markdown-front-matter.js';
export { type OriginalRecords, originalRecords } from './originals.js';
export {
  editToml,
  formatTomlValue,
  removeTomlKeys,
  removeTomlTable,
  setTomlValues,
  type TomlEdit,
  type TomlEditOptions,
  type TomlValue,
} from './toml-edit.js';
export {
  type ExtractedLegacyProfile,
  extractLegacyProfile,
  findLegacyProfile,
  type LegacyProfileLocation,
  type TomlLineRange,
} from './toml-legacy-profile.js';
export type { KeyPath } from './values.js';
export {
  editYaml,
  removeYamlSequenceItem,
  removeYamlValue,
  sequenceItemSubject,
  setYamlValue,
  setYamlValueInItem,
  upsertYamlSequenceItem,
  type YamlEdit,
  type YamlEditOptions,
  type YamlValue,
} from './yaml-edit.js';
