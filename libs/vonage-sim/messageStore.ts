import type { ChannelType, MessageStatus } from '#libs/vonage';

export interface SimStatus {
  status: MessageStatus;
  timestamp: string;
}

/** A message the simulator accepted, with the statuses it has reported so far. */
export interface SimMessage {
  message_uuid: string;
  channel: ChannelType;
  to: string;
  from: string;
  text: string;
  client_ref?: string;
  application_id: string;
  /** Set when the message is a step of a Dispatch workflow. */
  dispatch_uuid?: string;
  accepted_at: string;
  statuses: SimStatus[];
}

/** Accepted messages in arrival order; past `capacity`, the oldest are forgotten. */
export class MessageStore {
  private readonly byUuid = new Map<string, SimMessage>();

  constructor(private readonly capacity: number) {}

  add(message: SimMessage): void {
    this.byUuid.set(message.message_uuid, message);
    if (this.byUuid.size > this.capacity) {
      const oldest = this.byUuid.keys().next();
      if (!oldest.done) this.byUuid.delete(oldest.value);
    }
  }

  /** Copies, so a caller cannot change what the simulator reports. */
  list(filter: { to?: string } = {}): SimMessage[] {
    const out: SimMessage[] = [];
    for (const message of this.byUuid.values()) {
      if (filter.to === undefined || message.to === filter.to) out.push({ ...message, statuses: [...message.statuses] });
    }
    return out;
  }

  get size(): number {
    return this.byUuid.size;
  }

  clear(): void {
    this.byUuid.clear();
  }
}
