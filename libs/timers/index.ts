export { Timers, type FiredTimer, type TimerHandler, type TimerWorkerOptions } from './timers.js';
