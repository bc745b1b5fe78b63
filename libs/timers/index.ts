export { Timers, type TimerHandler, type TimerWorkerOptions } from './timers.js';
