import { Authorized, Query, Resolver } from 'type-graphql';
import type { PluginRegistry } from './plugin-registry';
import { PluginInfo, PluginKindValue, PluginSourceValue } from './plugin.types';

@Resolver()
export class PluginResolver {
  constructor(private readonly registry: PluginRegistry) {}

  @Authorized()
  @Query(() => [PluginInfo], { description: 'Every plugin this server loaded, in start order (dependencies first). Any role.' })
  plugins(): PluginInfo[] {
    return this.registry.list().map(({ plugin, source }) => {
      const framework = plugin.kind === 'framework' ? plugin.catalog.framework : null;
      return {
        id: plugin.id,
        kind: plugin.kind === 'framework' ? PluginKindValue.FRAMEWORK : PluginKindValue.FORMAT,
        version: plugin.version,
        apiVersion: plugin.apiVersion,
        source: PluginSourceValue[source],
        name: plugin.name ?? framework?.name ?? null,
        description: plugin.description ?? framework?.description ?? null,
        dependsOn: plugin.dependsOn ?? [],
      };
    });
  }
}
