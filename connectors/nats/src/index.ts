export {
  type Codec,
  CodecError,
  type CodecErrorDetails,
  checkCodec,
  jsonCodec,
} from './codec.js'
export {
  InboundConsumer,
  type InboundConsumerOptions,
  type InboundMessage,
  type Settlement,
} from './consumer.js'
export {
  checkLayoutOptions,
  type NodeLayout,
  type NodeLayoutOptions,
  openRunBucket,
  provisionNode,
} from './layout.js'
export {
  findNatsServer,
  type LocalNatsServer,
  type LocalNatsServerOptions,
  NatsServerError,
  startLocalNatsServer,
} from './local-server.js'
export { msgpackCodec } from './msgpack-codec.js'
export {
  escapeName,
  MAX_NAME_LENGTH,
  type NodeNames,
  nodeNames,
  runBucket,
  unescapeName,
} from './names.js'
export { NatsError, type NatsErrorCode, type NatsErrorDetails } from './nats-error.js'
export {
  byteCap,
  DEFAULT_MAX_PAYLOAD,
  encodePacks,
  HEADER_ROOM,
  type Pack,
  PackError,
  type PackLimits,
} from './packer.js'
export { FencedError, type PublishAck, Publisher, type PublisherOptions } from './publisher.js'
export {
  JetStreamInboundQueue,
  type JetStreamInboundQueueOptions,
  JetStreamOutboundQueue,
  type JetStreamOutboundQueueOptions,
} from './queues.js'
export {
  type EndMarker,
  EndWatch,
  type NodeCounters,
  type NodeStatus,
  NothingToRerunError,
  type RunControl,
  RunState,
  type Watch,
} from './run-state.js'
export {
  checkDeployment,
  type Deployment,
  producersOf,
  type RoleSpec,
  type RunWorkerOptions,
  runWorker,
  type WorkerConsumeOptions,
  type WorkerModuleOptions,
  type WorkerPublishOptions,
  type WorkerReport,
} from './worker.js'
