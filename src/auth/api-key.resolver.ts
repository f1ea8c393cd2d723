import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { Role } from '../access/role';
import { principalOf, type RequestContext } from '../graphql/context';
import type { ApiKeyService } from './api-key.service';
import { ApiKey, CreateApiKeyInput, CreatedApiKey, RevokeApiKeyInput, Viewer } from './api-key.types';
import type { TenantLoaders } from './tenant.loaders';

@Resolver()
export class ApiKeyResolver {
  constructor(private readonly keys: ApiKeyService) {}

  @Authorized()
  @Query(() => Viewer, { description: 'Who you are: any valid key may ask.' })
  async viewer(@Ctx() ctx: RequestContext<TenantLoaders>): Promise<Viewer> {
    const p = principalOf(ctx);
    return { keyId: p.keyId, role: p.role, tenant: (await ctx.loaders.tenant.load(p.tenantId))! };
  }

  @Authorized(Role.ADMIN)
  @Query(() => [ApiKey], { description: 'Every key of your tenant, revoked ones included.' })
  async apiKeys(@Ctx() ctx: RequestContext): Promise<ApiKey[]> {
    return this.keys.list(principalOf(ctx).tenantId);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => CreatedApiKey, { description: 'Creates a key in your tenant. Errors: INVALID_ARGUMENT.' })
  async createApiKey(
    @Arg('input', () => CreateApiKeyInput, { description: 'The name and role of the new key.' }) input: CreateApiKeyInput,
    @Ctx() ctx: RequestContext,
  ): Promise<CreatedApiKey> {
    const { key, secret } = await this.keys.create(principalOf(ctx).tenantId, input.role, input.name);
    return { apiKey: key, secret };
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => ApiKey, { description: 'Revokes a key of your tenant at once. Errors: NOT_FOUND.' })
  async revokeApiKey(
    @Arg('input', () => RevokeApiKeyInput, { description: 'The key to revoke.' }) input: RevokeApiKeyInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ApiKey> {
    return this.keys.revoke(principalOf(ctx).tenantId, input.id);
  }
}
