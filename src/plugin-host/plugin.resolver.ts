import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../graphql/context';
import { PluginInfo, PluginKindValue, PluginSourceValue } from './plugin.types';

@Resolver()
export class PluginResolver {
  @Authorized()
  @Query(() => [PluginInfo], { description: 'Every plugin this server loaded, in start order (dependencies first). Any role.' })
  plugins(@Ctx() ctx: RequestContext): PluginInfo[] {
    return ctx.services.plugins.list().map(({ plugin, source }) => {
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
