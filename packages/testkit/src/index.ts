export type { ApiKind } from './conversation.js';
export { API_KINDS } from './conversation.js';
export type { Endpoint, LoggedRequest } from './request-log.js';
export { REDACTED } from './request-log.js';
export type {
  ArgumentsToolCall,
  CommandToolCall,
  DelayTurn,
  ErrorTurn,
  Script,
  ScriptMatcher,
  ScriptRequest,
  ScriptTurn,
  TextTurn,
  ToolCallTurn,
  TurnUsage,
} from './script.js';
export { delay, FALLBACK_TEXT } from './script.js';
export type { ModelServer, ModelServerOptions, ScriptRoute } from './server.js';
export { startModelServer } from './server.js';
export type { SseFrame } from './sse.js';
export { parseSse } from './sse.js';
