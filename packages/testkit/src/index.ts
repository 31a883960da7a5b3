export type { SkippedCase } from './conformance-shared.js'
export {
  type KillAndResumeOptions,
  type KillAndResumeResult,
  type KillAt,
  killAndResume,
  type LoadRun,
  type RunLoadOptions,
  runLoad,
} from './kill-and-resume.js'
export { type MemoryLogger, memoryLogger } from './memory-logger.js'
export { type ProbeCounts, probe } from './probe.js'
export { type RunNodeOptions, type RunNodeResult, runNode } from './run-node.js'
export {
  describeSinkConformance,
  type SinkConformanceCase,
  type SinkConformanceOptions,
  type SinkFixture,
} from './sink-conformance.js'
export {
  describeSourceConformance,
  type SourceConformanceCase,
  type SourceConformanceOptions,
  type SourceFixture,
} from './source-conformance.js'
export {
  sendJson,
  startTestServer,
  type TestRequest,
  type TestRequestHandler,
  type TestServer,
  useTestServer,
} from './test-server.js'
