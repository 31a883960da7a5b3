export {
  describeSinkConformance,
  describeSourceConformance,
  type SinkConformanceCase,
  type SinkConformanceOptions,
  type SinkFixture,
  type SkippedCase,
  type SourceConformanceCase,
  type SourceConformanceOptions,
  type SourceFixture,
} from './conformance.js'
export { type MemoryLogger, memoryLogger } from './memory-logger.js'
export { type ProbeCounts, probe } from './probe.js'
export { type RunNodeOptions, type RunNodeResult, runNode } from './run-node.js'
export {
  sendJson,
  startTestServer,
  type TestRequest,
  type TestRequestHandler,
  type TestServer,
} from './test-server.js'
