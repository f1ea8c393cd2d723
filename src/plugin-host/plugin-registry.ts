import type { FormatPlugin, FrameworkPlugin, Plugin } from '../plugin-api';
import type { Logger } from '../observability/logger';
import type { PluginSource } from './plugin-loader';

/** A validated, started plugin. */
export interface LoadedPlugin {
  plugin: Plugin;
  source: PluginSource;
  /** Resolved file or folder; null for built-ins. */
  location: string | null;
  /** Options after the plugin's schema applied its defaults. */
  options: unknown;
}

/** The plugins of this server, in start order (dependencies first). Immutable once built. */
export class PluginRegistry {
  private stopping: Promise<void> | null = null;

  constructor(
    private readonly loaded: readonly LoadedPlugin[],
    private readonly logger: Logger,
  ) {}

  list(): readonly LoadedPlugin[] {
    return this.loaded;
  }

  get(id: string): LoadedPlugin | undefined {
    return this.loaded.find((p) => p.plugin.id === id);
  }

  frameworks(): FrameworkPlugin<unknown>[] {
    return this.loaded.flatMap(({ plugin }) => (plugin.kind === 'framework' ? [plugin] : []));
  }

  formats(): FormatPlugin<unknown>[] {
    return this.loaded.flatMap(({ plugin }) => (plugin.kind === 'format' ? [plugin] : []));
  }

  /** Calls every stop() once, in reverse start order; a failing stop is logged and the rest still stop. */
  stop(): Promise<void> {
    this.stopping ??= stopAll(this.loaded, this.logger);
    return this.stopping;
  }
}

export async function stopAll(started: readonly LoadedPlugin[], logger: Logger): Promise<void> {
  for (const { plugin } of [...started].reverse()) {
    try {
      await plugin.stop?.();
    } catch (error) {
      logger.error({ err: error, plugin: plugin.id }, 'plugin stop() failed');
    }
  }
}
