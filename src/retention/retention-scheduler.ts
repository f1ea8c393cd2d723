import { v7 as uuidv7 } from 'uuid';
import type { Logger } from '../observability/logger';
import type { RetentionService } from './retention.service';

/**
 * RETENTION_SCHEDULE (ADR 0043): once a UTC day, prunes every tenant that has a rule with a
 * maximum. Safe on several nodes: the prune lease lets one node prune a tenant at a time, and a
 * second node's run finds nothing left. On an unref'd timer that stop() clears and waits out.
 */
export class RetentionScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopped = false;
  private lastDay: string | null = null;

  constructor(private readonly deps: { retention: Pick<RetentionService, 'pruneDue'>; schedule: 'off' | 'daily'; logger: Logger }) {}

  /** Prunes what is due as of `now` unless this node already did today; the events deleted. A tick while another runs does nothing. */
  tick(now = new Date()): Promise<number> {
    const day = now.toISOString().slice(0, 10);
    if (this.running || this.stopped || this.lastDay === day) return Promise.resolve(0);
    this.running = this.deps.retention
      .pruneDue(
        `retention-${uuidv7()}`,
        now,
        () => this.stopped,
        (tenantId, err) => this.deps.logger.error({ err, tenantId }, 'scheduled prune of a tenant failed'),
      )
      .then((results) => {
        this.lastDay = day;
        const deleted = results.reduce((n, r) => n + r.deleted, 0);
        if (deleted) this.deps.logger.info({ tenants: results.length, deleted }, 'retention pruned');
        return deleted;
      })
      .catch((err: unknown) => {
        this.deps.logger.error({ err }, 'scheduled prune failed');
        return 0;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  start(intervalMs: number): void {
    if (this.deps.schedule === 'off' || this.timer) return;
    this.timer = setInterval(() => {
      void this.tick();
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
