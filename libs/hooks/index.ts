export { HookInput, HookPatch, newHook, patchedHook } from './definition.js';
export {
  Hook,
  HookEvent,
  HookRepository,
  LastLaunch,
  LaunchRequest,
  LaunchState,
  LaunchTarget,
  MAX_DEBOUNCE_S,
  PendingLaunch,
  Targeting,
} from './hookRepository.js';
export { hostAllowed } from './hosts.js';
export { HOOK_TIMER, HookLauncher, type HookLauncherOptions, type Scheduled } from './launcher.js';
export { launchPath, newHookToken, TOKEN_SHAPE } from './token.js';
