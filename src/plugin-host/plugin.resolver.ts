import { Authorized, Field, ObjectType, Query, Resolver, registerEnumType } from 'type-graphql';
import type { PluginRegistry } from './plugin-registry';

export enum PluginKindValue {
  FRAMEWORK = 'FRAMEWORK',
  FORMAT = 'FORMAT',
}
registerEnumType(PluginKindValue, {
  name: 'PluginKind',
  description: 'What a plugin contributes.',
  valuesConfig: { FRAMEWORK: { description: 'A compliance framework.' }, FORMAT: { description: 'A report file format.' } },
});

export enum PluginSourceValue {
  BUILT_IN = 'BUILT_IN',
  PACKAGE = 'PACKAGE',
  PATH = 'PATH',
}
registerEnumType(PluginSourceValue, {
  name: 'PluginSource',
  description: 'Where a plugin was loaded from.',
  valuesConfig: {
    BUILT_IN: { description: 'Shipped with the server.' },
    PACKAGE: { description: 'An npm package named in DATAPUNK_PLUGINS.' },
    PATH: { description: 'A folder or file named by path in DATAPUNK_PLUGINS.' },
  },
});

@ObjectType('Plugin', { description: 'A loaded and started plugin.' })
export class PluginInfo {
  @Field({ description: 'Kebab-case id, unique on this server.' })
  id!: string;
  @Field(() => PluginKindValue, { description: 'What it contributes.' })
  kind!: PluginKindValue;
  @Field({ description: "The plugin's own version (semver)." })
  version!: string;
  @Field({ description: 'The plugin API range it was written for (semver range).' })
  apiVersion!: string;
  @Field(() => PluginSourceValue, { description: 'Where it was loaded from.' })
  source!: PluginSourceValue;
  @Field(() => String, { nullable: true, description: "Display name: the manifest's, else its framework's." })
  name!: string | null;
  @Field(() => String, { nullable: true, description: "Description: the manifest's, else its framework's." })
  description!: string | null;
  @Field(() => [String], { description: 'Ids of the plugins it depends on, which started before it.' })
  dependsOn!: string[];
}

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
