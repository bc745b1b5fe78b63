import { z } from 'zod';
import { dispatchBody, type DispatchItem, type FailoverCondition } from './dispatchWorkflow.js';
import { VonageHttp, type VonageClientOptions } from './vonageHttp.js';
import { ProviderId } from '#libs/identifiers';

export type DispatchClientOptions = VonageClientOptions;

const WorkflowAccepted = z.object({ dispatch_uuid: ProviderId });

/** Starts Dispatch API v0.1 workflows (`POST /v0.1/dispatch`), with the Messages client's retry rules. */
export class DispatchClient {
  private readonly http: VonageHttp;

  constructor(opts: DispatchClientOptions) {
    this.http = new VonageHttp(opts);
  }

  /** Resolves once Vonage accepted the workflow (202); its progress comes as webhooks. */
  async createFailover(items: readonly DispatchItem[], opts: { failover?: FailoverCondition } = {}): Promise<{ dispatchUuid: string }> {
    const answer = await this.http.postJson('/v0.1/dispatch', dispatchBody(items, opts), WorkflowAccepted, 'failover workflow');
    return { dispatchUuid: answer.dispatch_uuid };
  }
}
