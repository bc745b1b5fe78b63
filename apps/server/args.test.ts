import { describe, expect, it } from 'vitest';
import { rolesFrom } from './args.js';

describe('roles from the command line', () => {
  it('defaults to every role', () => {
    expect([...rolesFrom([], {})]).toEqual(['http', 'dispatcher', 'engine', 'deliveries']);
  });

  it.each([
    ['--role x', ['--role', 'dispatcher'], {}],
    ['--role=x', ['--role=dispatcher'], {}],
    ['npm start --role=x', [], { npm_config_role: 'dispatcher' }],
    ['npm start --role x', ['dispatcher'], { npm_config_role: 'true' }],
  ])('reads %s', (_how, argv, env) => {
    expect([...rolesFrom(argv, env)]).toEqual(['dispatcher']);
  });

  it('takes several roles, and refuses an unknown one by name', () => {
    expect([...rolesFrom(['--role', 'http,engine'], {})]).toEqual(['http', 'engine']);
    expect(() => rolesFrom(['--role', 'chef'], {})).toThrow(/unknown role "chef": use one or more of http, dispatcher, engine, deliveries/);
  });
});
