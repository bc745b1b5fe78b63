export { connectBus, natsAnswers, type Bus } from './connection.js';
export {
  ensureDurableConsumer,
  startDurableWorker,
  type DurableConsumerSpec,
  type DurableWorker,
  type WorkerOptions,
} from './durableWorker.js';
export { BUS_ROLES, busUserName, BusUsers, inboxPrefix, permissionsFor, SERVER_USER, type BusRole, type BusUser } from './busUsers.js';
export { busUsersOf, ensureNats, openBus, type BusSettings, type EnsureNatsOptions, type NatsEndpoint } from './launcher.js';
export { startNatsServer, type NatsServerOptions, type NatsServerProcess } from './natsServer.js';
export { nakAfter } from './nakAfter.js';
export { openBucket, openBuckets, provisionBus, type Buckets, type KvBucket } from './provision.js';
export { jsonOrUndefined, lastBySubject, readBySeq, readRecent, recordJson, type StreamRecord } from './streamReader.js';
export { BUCKETS, CONSUMERS, STREAMS, streamConfigs, type TopologyOptions } from './topology.js';
