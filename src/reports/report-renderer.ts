import { createHash } from 'node:crypto';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import type { Logger } from '../observability/logger';
import type { FormatPlugin } from '../plugin-api';
import { pluginLogger } from '../plugin-host/plugin-host';
import type { PluginRegistry } from '../plugin-host/plugin-registry';
import { type ReportBuilder, wholeTables } from './report-builder';
import type { ReportRequest } from './sections/report-section';
import type { StoredReport } from './report.repository';
import type { ProofBundles } from '../chain/proof-bundle.service';

/** Builds a report's model and renders it with a format plugin. */
export class ReportRenderer {
  constructor(
    private readonly deps: {
      builder: ReportBuilder;
      plugins: PluginRegistry;
      logger: Logger;
      /** Proof bundles of the events a report lists, for a request with `proofBundles` (ADR 0049). */
      bundles: ProofBundles;
    },
  ) {}

  /** The format plugin for `docx`, `html`, … (the plugin `format-<name>`). */
  format(name: string): FormatPlugin<unknown> {
    const plugin = this.deps.plugins.formats().find((p) => p.id === `format-${name}`);
    if (!plugin) {
      const known = this.deps.plugins
        .formats()
        .map((p) => p.id.replace(/^format-/, ''))
        .join(', ');
      throw new AppError(ErrorCode.INVALID_ARGUMENT, `No report format "${name}" is loaded (loaded: ${known || 'none'}).`, {
        problems: [{ path: 'input.format', message: `must be one of ${known}` }],
      });
    }
    return plugin;
  }

  /**
   * Builds and renders: a plugin that streams tables reads event rows from the database while it
   * renders them; any other gets every table whole. With `proofBundles`, also the bundle file of
   * every event the report lists, by sequence (empty when it lists none).
   */
  async render(
    plugin: FormatPlugin<unknown>,
    request: ReportRequest,
    now: Date,
    onRows?: (rows: number) => void,
  ): Promise<{ file: Buffer; headSequence: number; bundles: Buffer | null }> {
    // Collected only when bundles are asked for: a Set of every listed sequence costs memory.
    const listed = request.proofBundles ? new Set<number>() : undefined;
    const built = await this.deps.builder.build(request, now, onRows, listed);
    const model = plugin.streamsTables ? built : await wholeTables(built);
    const loaded = this.deps.plugins.get(plugin.id);
    const rendered = await plugin.render(model, { options: loaded?.options ?? {}, logger: pluginLogger(this.deps.logger, plugin.id) });
    const file = typeof rendered === 'string' ? Buffer.from(rendered, 'utf8') : Buffer.from(rendered);
    const bundles = listed
      ? Buffer.from(
          (
            await this.deps.bundles.forEvents(
              request.tenantId,
              [...listed].sort((a, b) => a - b),
            )
          )
            .map((b) => b.bundle)
            .join(''),
          'utf8',
        )
      : null;
    return { file, headSequence: model.integrity.headSequence, bundles };
  }
}

/** The report READY with this file: its size, SHA-256 and the chain head it describes. */
export function readyReport(report: StoredReport, file: Buffer, headSequence: number): StoredReport {
  return {
    ...report,
    status: 'READY',
    progress: 100,
    sizeBytes: file.length,
    sha256: createHash('sha256').update(file).digest('hex'),
    headSequence,
  };
}
