export { connectBus, natsAnswers, type Bus } from './connection.js';
export {
  ensureDurableConsumer,
  startDurableWorker,
  type DurableConsumerSpec,
  type DurableWorker,
  type WorkerOptions,
} from './durableWorker.js';
export { ensureNats, type EnsureNatsOptions } from './launcher.js';
export { startNatsServer, type NatsServerOptions, type NatsServerProcess } from './natsServer.js';
export { openBucket, openBuckets, provisionBus, type Buckets, type KvBucket } from './provision.js';
export { readBySeq, readRecent, recordJson, type StreamRecord } from './streamReader.js';
export { BUCKETS, CONSUMERS, STREAMS, streamConfigs, type TopologyOptions } from './topology.js';
