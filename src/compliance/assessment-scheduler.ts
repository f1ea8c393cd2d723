import { v7 as uuidv7 } from 'uuid';
import type { Logger } from '../observability/logger';
import { type AssessmentSchedule, lastClosedWindow } from './assessment-history';
import type { AssessmentHistoryService } from './assessment-history.service';

/** Runs one tick records at most; the rest wait for the next tick. */
export const MAX_RUNS_PER_TICK = 200;

export interface SchedulerDeps {
  history: Pick<AssessmentHistoryService, 'record'>;
  /** Tenants with a chain. */
  tenants: () => Promise<string[]>;
  /** Ids of the loaded frameworks. */
  frameworks: () => string[];
  schedule: AssessmentSchedule;
  /** EVIDENCE_RECORDING_LAG_MINUTES in ms: a window is recorded once every event that may count in it is in. */
  lagMs: number;
  logger: Logger;
}

/**
 * ASSESSMENT_SCHEDULE (ADR 0039): records each loaded framework's assessment of the last closed day
 * or week for every tenant. Idempotent across restarts and nodes (a window is stored once, by its
 * unique key), bounded per tick, on an unref'd timer that stop() clears and waits out.
 */
export class AssessmentScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopped = false;

  constructor(private readonly deps: SchedulerDeps) {}

  /** Records what is due as of `now`; the number of runs stored. A tick while another runs does nothing. */
  tick(now = new Date()): Promise<number> {
    if (this.running || this.stopped) return Promise.resolve(0);
    this.running = this.due(now).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async due(now: Date): Promise<number> {
    const window = lastClosedWindow(this.deps.schedule, now, this.deps.lagMs);
    if (!window) return 0;
    let stored = 0;
    const requestId = `scheduler-${uuidv7()}`;
    for (const tenantId of await this.deps.tenants()) {
      for (const frameworkId of this.deps.frameworks()) {
        if (this.stopped || stored >= MAX_RUNS_PER_TICK) return stored;
        try {
          const { created } = await this.deps.history.record(
            { tenantId, keyId: null, requestId },
            { frameworkId, from: window.from.toISOString(), to: window.to.toISOString() },
            now,
            window.key,
          );
          if (created) stored += 1;
        } catch (err) {
          this.deps.logger.error({ err, tenantId, frameworkId, window: window.key }, 'scheduled assessment failed');
        }
      }
    }
    return stored;
  }

  /** Ticks every `intervalMs` (unref'd: it never keeps the process alive). */
  start(intervalMs: number): void {
    if (this.deps.schedule === 'off' || this.timer) return;
    this.timer = setInterval(() => {
      void this.tick();
    }, intervalMs);
    this.timer.unref();
  }

  /** Clears the timer; the tick under way stops before its next run and is waited for. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
