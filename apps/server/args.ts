import { ROLES, type Role } from '#libs/config';
import { SwitchboardError } from '#libs/errors';

/**
 * `--role dispatcher` (or `--role=http,dispatcher`, repeatable); default: every role. Without
 * `--`, npm keeps the flag for itself: `npm start --role=x` arrives as npm_config_role=x, and
 * `npm start --role x` as npm_config_role=true with x as an argument. All of these work.
 */
export function rolesFrom(argv: string[], env: NodeJS.ProcessEnv = process.env): Set<Role> {
  const given: string[] = [];
  argv.forEach((arg, index) => {
    if (arg === '--role') given.push(argv[index + 1] ?? '');
    else if (arg.startsWith('--role=')) given.push(arg.slice('--role='.length));
  });
  if (given.length === 0 && env.npm_config_role) {
    given.push(env.npm_config_role === 'true' ? (argv.find((arg) => !arg.startsWith('-')) ?? '') : env.npm_config_role);
  }
  const names = given
    .flatMap((value) => value.split(','))
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0 || names.includes('all')) return new Set(ROLES);
  for (const name of names) {
    if (!(ROLES as readonly string[]).includes(name)) {
      throw new SwitchboardError('validation_failed', `unknown role "${name}": use one or more of ${ROLES.join(', ')}, or all`);
    }
  }
  return new Set(names as Role[]);
}
