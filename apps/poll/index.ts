export { runCli } from './cli.js';
export { pollAnswerParser, type PollAnswer } from './pollAnswer.js';
export { DEFAULT_POLL_FILE, loadPollDefinition, PollDefinition, PollQuestion } from './pollDefinition.js';
export { openPollRuntime, type PollRuntime } from './pollRuntime.js';
export { completionEventId, PollSession, sessionKey } from './pollSession.js';
export { AnswerOutcome, POLL_SESSIONS_BUCKET, PollSessions } from './pollSessions.js';
export { startPollServer, type RunningPollServer } from './pollServer.js';
export { loadPollSettings, type PollSettings } from './pollSettings.js';
