export { DEFAULT_DEBOUNCE_S, HookInput, HookPatch, newHook, patchedHook } from './definition.js';
export { HookDirectory } from './directory.js';
export { hostAllowed, HostPattern, parseHostPattern } from './hosts.js';
export { HOOK_TIMER, HookLauncher, launchEventId, type HookLauncherOptions, type Scheduled } from './launcher.js';
export { HookCallFields, MAX_TARGETS, parseHookCall } from './payload.js';
export { launchPath, newHookToken, TOKEN_SHAPE } from './token.js';
