export { connectBus, natsAnswers, type Bus } from './connection.js';
export {
  ensureDurableConsumer,
  startDurableWorker,
  type DeadLettering,
  type DurableConsumerSpec,
  type DurableWorker,
  type FailurePolicy,
  type RetryNotice,
  type WorkerOptions,
} from './durableWorker.js';
export { busUserName, BusUsers, SERVER_USER, type BusUser } from './busUsers.js';
export {
  busUsersOf,
  ensureNats,
  natsStoreDirOf,
  openBus,
  type BusSettings,
  type EnsureNatsOptions,
  type NatsEndpoint,
} from './launcher.js';
export { BUS_ROLES, natsAccountName, permissionsFor, SERVER_ACCOUNT, type BusRole } from './natsAccounts.js';
export { reloadNatsConfig, runningNatsServer, type RunningNatsServer } from './natsReload.js';
export { startNatsServer, type NatsServerOptions, type NatsServerProcess } from './natsServer.js';
export { nakAfter } from './nakAfter.js';
export { isTransientFailure, NATS_REQUEST_TIMEOUT_MS, NATS_RETRY_AFTER_S, natsFailure } from './natsFailure.js';
export { openBucket, openBuckets, provisionBus, type Buckets, type KvBucket } from './provision.js';
export { globalAccountStorePending } from './storeMigration.js';
export { jsonOrUndefined, lastBySubject, readBySeq, readRecent, recordJson, type StreamRecord } from './streamReader.js';
export { streamSubjects } from './subjects.js';
export { BUCKETS, CONSUMERS, STORAGE_DEFAULTS, STREAMS, streamConfigs, type StorageLimits, type TopologyOptions } from './topology.js';
