import { connectBus, type Bus } from '#libs/bus';
import { loadSettings } from '#libs/config';
import type { BenchContext } from '../harness/benchmark.js';
import { createRawStream, RAW_RUN_SIZES, runRawSample } from '../harness/rawJetStream.js';
import { formatNumber } from '../harness/table.js';

/**
 * The run's yardstick: raw JetStream publish, consume and ack of the dispatch benchmark's events
 * (its baseline (a)) on this run's nats-server, from this process. Sends/s divided by it compare
 * across hours and days, when the machine's own speed moves by half.
 */
export class RawBaseline {
  readonly eventsPerSecond: number[] = [];

  private constructor(
    private readonly publisher: Bus,
    private readonly consumer: Bus,
  ) {}

  /** Connects a publisher and a consumer of its own, as the dispatch benchmark does, creates its stream and warms up. */
  static async prepare(ctx: BenchContext, natsUrl: string): Promise<RawBaseline> {
    const publisher = await connectBus(natsUrl, { name: 'bench raw publisher' });
    ctx.defer(() => publisher.close());
    const consumer = await connectBus(natsUrl, { name: 'bench raw consumer' });
    ctx.defer(() => consumer.close());
    await createRawStream(publisher, loadSettings({}).streams);
    const baseline = new RawBaseline(publisher, consumer);
    await baseline.run('warmup', RAW_RUN_SIZES.warmup);
    return baseline;
  }

  /** `reps` timed runs, kept; `when` labels the progress line. */
  async measure(ctx: BenchContext, when: string, reps: number): Promise<void> {
    for (let rep = 1; rep <= reps; rep++) {
      const perSecond = await this.run(`${when}${rep}`, RAW_RUN_SIZES.events);
      this.eventsPerSecond.push(perSecond);
      ctx.progress(`raw JetStream ${when}, ${rep}/${reps}: ${formatNumber(perSecond)} events/s`);
    }
  }

  private async run(label: string, count: number): Promise<number> {
    return (await runRawSample(this.publisher, this.consumer, label, count, RAW_RUN_SIZES.window)).eventsPerSecond;
  }
}
