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
export { type ProbeCounts, probe } from './probe.js'
export { type RunNodeOptions, type RunNodeResult, runNode } from './run-node.js'
export { startTestServer, type TestRequestHandler, type TestServer } from './test-server.js'
