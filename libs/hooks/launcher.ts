import { z } from 'zod';
import { isTransientFailure, type Bus } from '#libs/bus';
import { errorMessage, isSwitchboardError, SwitchboardError, validationFailed } from '#libs/errors';
import { publishEvent, ROUTES_REVISION_HEADER, stableId, Token } from '#libs/events';
import type { JsonShapeLimits } from '#libs/jsonShape';
import type { Logger } from '#libs/logger';
import type { ContactRepository, RouteRepository } from '#libs/store';
import { HookRepository, type Hook, type LastLaunch, type LaunchRequest, type PendingLaunch } from './hookRepository.js';
import type { Timers } from '#libs/timers';
import { inChunks } from './chunks.js';
import { checkLaunchEvent, checkLaunchFields } from './launchShape.js';
import { LatestWins } from './latestWins.js';
import { parseHookCall } from './payload.js';
import { resolveTargeting } from './resolution.js';

export const HOOK_TIMER = 'hook_launch';

const LaunchTimer = z.object({ account_key: Token, id: Token, generation: z.number().int().min(1) });
type LaunchTimer = z.infer<typeof LaunchTimer>;

/** Requests in flight at once: a call's target lookups, the timers scheduled again at start. */
const REQUESTS_AT_ONCE = 32;
/** NATS refuses messages over max_payload (1 MB in nats.conf): an event must stay under it. */
const MAX_EVENT_BYTES = 900_000;

export interface HookLauncherOptions {
  hooks: HookRepository;
  contacts: ContactRepository;
  /** Read for the routes revision this process has written, which launched events carry. */
  routes: RouteRepository;
  timers: Timers;
  bus: Bus;
  /** Milliseconds after SWITCHBOARD_TIME_SCALE. */
  scale: (ms: number) => number;
  /** What the dispatcher accepts of an event: a launch's event must fit. */
  jsonShape: JsonShapeLimits;
  log: Logger;
}

export interface Scheduled {
  launch_at: string;
}

interface Call {
  hook: Hook;
  request: LaunchRequest;
}

/** A failed write of merged calls that writing each alone would only repeat: the bus is down, or the hook's launch is fought over. */
function sharedFailure(err: unknown): boolean {
  return isTransientFailure(err) || isSwitchboardError(err, 'conflict');
}

/** The event id of a hook's launch: a timer fired twice publishes one event (JetStream's duplicate window). */
function launchEventId(hook: Pick<Hook, 'account_key' | 'id'>, generation: number): string {
  return `hook-${stableId('hook-launch', hook.account_key, hook.id, generation)}`;
}

/**
 * Launch hooks: a call validates its payload and replaces the hook's pending launch (a new
 * generation, compare-and-set), then schedules a durable timer for that generation at the end of
 * the debounce delay. When a timer fires, only the current generation's launches: it resolves the
 * audience, writes the variables and publishes the hook's event. The pending launch and the
 * timers live in NATS, so a launch survives a restart of the server.
 */
export class HookLauncher {
  private readonly writes = new LatestWins<Call, Scheduled>((_key, call, count) => this.schedule(call, count), sharedFailure);

  constructor(private readonly options: HookLauncherOptions) {}

  /** A call: validated, then merged into the hook's pending launch, whose launch time it returns. */
  async call(hook: Hook, method: 'GET' | 'POST', payload: unknown): Promise<Scheduled> {
    const request = parseHookCall(method, payload);
    checkLaunchFields(request.fields, this.options.jsonShape);
    await this.checkTargets(hook.account_key, request);
    return this.writes.submit(HookRepository.launchKey(hook.account_key, hook.id), { hook, request });
  }

  /** A target that is not a contact yet is created at launch, which needs a channel to reach it by. */
  private async checkTargets(account: string, request: LaunchRequest): Promise<void> {
    if (request.targeting.mode !== 'targets') return;
    const targets = request.targeting.targets;
    const needChannel = targets.map((target, index) => ({ target, index })).filter(({ target }) => target.channels.length === 0);
    const known = await inChunks(
      needChannel,
      REQUESTS_AT_ONCE,
      async ({ target }) => (await this.options.contacts.get(account, target.id)) !== undefined,
    );
    const issues = needChannel
      .filter((_entry, i) => !known[i])
      .map(({ target, index }) => ({
        path: `targets.${index}.channel`,
        message: `contact "${target.id}" does not exist: give a channel ({type, id_num}) to create it`,
      }));
    if (issues.length > 0) throw validationFailed(issues);
  }

  /** Replaces the pending launch with a new generation and schedules its timer. */
  private async schedule({ hook, request }: Call, calls: number): Promise<Scheduled> {
    const { hooks, routes, scale } = this.options;
    const now = Date.now();
    const calledAt = new Date(now).toISOString();
    const launchAt = now + scale(hook.debounce_s * 1000);
    const saved = await hooks.launches.mutate(HookRepository.launchKey(hook.account_key, hook.id), (state) => {
      const generation = (state?.generation ?? 0) + 1;
      const pending: PendingLaunch = {
        generation,
        request,
        calls: (state?.pending?.calls ?? 0) + calls,
        first_called_at: state?.pending?.first_called_at ?? calledAt,
        last_called_at: calledAt,
        launch_at: new Date(launchAt).toISOString(),
        routes_revision: routes.writtenRevision,
      };
      return { ...state, generation, pending };
    });
    await this.scheduleTimer({ account_key: hook.account_key, id: hook.id, generation: saved!.value.generation }, launchAt);
    return { launch_at: new Date(launchAt).toISOString() };
  }

  /** One timer per generation: scheduled again, it is stored once (within the duplicate window). */
  private scheduleTimer(timer: LaunchTimer, launchAt: number): Promise<void> {
    return this.options.timers.schedule(HOOK_TIMER, `${timer.account_key}.${timer.id}.${timer.generation}`, launchAt, timer);
  }

  /**
   * Schedules the timer of every pending launch again, as the engine role starts: a server that
   * stopped between a call's write and its timer's left a launch pending with no timer. A timer
   * that fires twice still launches once: only the pending generation launches, and the launch
   * settles it by compare-and-set. Answers how many launches were pending.
   */
  async resume(): Promise<number> {
    const pending = await this.options.hooks.pendingLaunches();
    await inChunks(pending, REQUESTS_AT_ONCE, ({ account_key, id, pending: launch }) =>
      this.scheduleTimer({ account_key, id, generation: launch.generation }, Date.parse(launch.launch_at)),
    );
    return pending.length;
  }

  /** A launch timer: does nothing unless its generation is still the pending one. */
  async onTimer(payload: unknown): Promise<void> {
    const { hooks, log } = this.options;
    const parsed = LaunchTimer.safeParse(payload);
    if (!parsed.success) {
      log.error({ issues: parsed.error.issues }, 'hook launch timer is not valid: dropped');
      return;
    }
    const timer = parsed.data;
    const key = HookRepository.launchKey(timer.account_key, timer.id);
    const pending = (await hooks.launchState(timer.account_key, timer.id))?.pending;
    if (!pending || pending.generation !== timer.generation) return;

    const outcome = await this.launch(timer, pending);
    // Settled only if no call came meanwhile: a newer generation keeps its pending launch.
    await hooks.launches.mutate(key, (state) =>
      state?.pending?.generation === timer.generation ? { generation: state.generation, last_launch: outcome } : undefined,
    );
  }

  private async launch(timer: LaunchTimer, pending: PendingLaunch): Promise<LastLaunch> {
    const { hooks, contacts, bus, log } = this.options;
    const base = { generation: pending.generation, calls: pending.calls, at: new Date().toISOString() };
    const hook = await hooks.get(timer.account_key, timer.id);
    if (!hook?.enabled) {
      log.info({ account_key: timer.account_key, hook_id: timer.id }, 'hook disabled before its launch: nothing published');
      return { ...base, status: 'dropped', error: 'the hook was disabled before its launch' };
    }
    const hookLog = log.child({ account_key: hook.account_key, hook_id: hook.id, generation: pending.generation });
    try {
      const resolution = await resolveTargeting(contacts, hook, pending.request.targeting);
      const event_data = {
        hook_id: hook.id,
        ...(hook.name ? { hook_name: hook.name } : {}),
        mode: pending.request.targeting.mode,
        audience: { contact_ids: resolution.contact_ids, count: resolution.contact_ids.length },
        variables: resolution.variables ?? {},
        ...(resolution.targets ? { targets: resolution.targets } : {}),
        fields: pending.request.fields,
        method: pending.request.method,
        calls: pending.calls,
        called_at: pending.last_called_at,
      };
      const size = Buffer.byteLength(JSON.stringify(event_data));
      if (size > MAX_EVENT_BYTES) {
        throw new SwitchboardError(
          'validation_failed',
          `the launch's event would be ${size} bytes, over ${MAX_EVENT_BYTES}: narrow the audience (${resolution.contact_ids.length} contacts)`,
        );
      }
      const event = { event_id: launchEventId(hook, pending.generation), account_key: hook.account_key, ...hook.event, event_data };
      checkLaunchEvent(event, this.options.jsonShape);
      const published = await publishEvent(bus.js, event, {
        headers: pending.routes_revision > 0 ? { [ROUTES_REVISION_HEADER]: String(pending.routes_revision) } : undefined,
      });
      hookLog.info({ event_id: published.event.event_id, audience: resolution.contact_ids.length, calls: pending.calls }, 'hook launched');
      return { ...base, status: 'published', event_id: published.event.event_id, audience_count: resolution.contact_ids.length };
    } catch (err) {
      // A launch that is invalid (its audience, its event) is invalid every time: recorded; any other failure fails the timer, which fires again.
      if (!isSwitchboardError(err, 'validation_failed')) throw err;
      hookLog.warn({ err }, 'hook launch failed');
      return { ...base, status: 'failed', error: errorMessage(err) };
    }
  }
}
