export { startPeriodicPass, type PeriodicPass } from './periodicPass.js';
export { timerSubject, Timers, type FiredTimer, type TimerHandler, type TimerWorkerOptions } from './timers.js';
export { timeoutMs } from './timeoutMs.js';
