import { validationError } from '#libs/errors';
import { SettingsSchema, settingsFrom, type Settings } from './settings.js';

export { ROLES, SettingsSchema, type RawSettings, type Role, type Settings } from './settings.js';

/** Reads and validates settings from the environment; a bad value is an error naming the variable. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env, cwd?: string): Settings {
  const parsed = SettingsSchema.safeParse(env);
  if (!parsed.success) throw validationError(parsed.error);
  return settingsFrom(parsed.data, cwd);
}

/** Milliseconds after scaling by SWITCHBOARD_TIME_SCALE (e.g. 0.001 makes 600 s pass in 0.6 s). */
export function scaled(settings: Pick<Settings, 'timeScale'>, ms: number): number {
  return Math.max(0, Math.round(ms * settings.timeScale));
}
