export { INGEST_PREFIX, startBusIngest, type BusIngest, type BusIngestOptions } from './busIngest.js';
