export { Args, args } from './args.js'
export { AsyncExecutor } from './async-executor.js'
export {
  AsyncGraph,
  type AsyncGraphOptions,
  type CheckedOptions,
  type GraphNode,
  type NodeKey,
  type NodeSource,
  type QueueFactory,
  type QueueTypeMismatch,
  type RefOf,
} from './async-graph.js'
export { AsyncQueue, QUEUE_EMPTY } from './async-queue.js'
export {
  type CheckpointStore,
  fileCheckpointStore,
  memoryCheckpointStore,
} from './checkpoint-store.js'
export { DEFAULT_NODE_FORMAT } from './data-flow-logging.js'
export { defineNode, defineSink, defineSource } from './define.js'
export { describeValue, messageOf } from './describe-value.js'
export {
  AlreadyRunningError,
  CheckpointStateError,
  CheckpointStoreError,
  type CoreErrorCode,
  type CoreErrorOptions,
  DuplicateNodeError,
  DuplicateStartNodeError,
  ExecutionFailedError,
  ForeignNodeRefError,
  type GraphErrorCode,
  GraphflowError,
  type GraphflowErrorOptions,
  InvalidAsyncGraphError,
  NotTrackedError,
  QueueEndedError,
  QueueInUseError,
  toError,
  UnknownNodeError,
} from './errors.js'
export type {
  AsyncExecutorOptions,
  DataFlowLoggingOptions,
  DataFlowStats,
  ExecuteOptions,
  ExecutionReport,
  ExecutorEventName,
  ExecutorEvents,
  NodeExceptions,
  NodeStats,
} from './executor-types.js'
export {
  type Accepts,
  type AnyNodeRef,
  type DeliveredArguments,
  type EdgeCheck,
  type EdgeContext,
  type EdgeTypeMismatch,
  type InputMode,
  type InputOf,
  isNodeRef,
  type ModeOf,
  type NodeRef,
  type OutputOf,
  type UnpackedArguments,
  type WholeArguments,
} from './node-ref.js'
export type {
  CommitDone,
  Logger,
  NodeContext,
  NodeFunction,
  NodeOptions,
  NodeSpec,
} from './node-spec.js'
export { type NumberLimits, type OptionChecks, optionChecks } from './option-checks.js'
export type { CheckpointOptions } from './resume.js'
export type { Placement } from './run-node.js'
export type {
  NodeSpecWithStats,
  NoStats,
  RunContext,
  SinkCloseInfo,
  SinkDefinition,
  SinkSpec,
  SourceDefinition,
  SourceSpec,
  SpecOptions,
} from './spec-types.js'
export { isStartNode, type StartArgsOf, type StartNode, startNode } from './start-node.js'
export {
  Checkpoint,
  checkpoint,
  type OnDone,
  type PositionStored,
  type WorkResult,
} from './work-tracking.js'
