export { accountOfSubject, DeadLetter, DeadLetters, type PoisonPolicy, type StoredDeadLetter } from './deadLetters.js';
