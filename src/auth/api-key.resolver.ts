import { Arg, Authorized, Ctx, Field, ID, InputType, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { DateTimeScalar } from '../graphql/scalars';
import { principalOf, type RequestContext } from '../graphql/context';
import type { ApiKeyService } from './api-key.service';
import type { TenantLoaders } from './tenant.loaders';
import { Tenant } from './tenant.types';
import { Role } from '../access/role';

@ObjectType({ description: 'An API key (never its secret).' })
export class ApiKey {
  @Field(() => ID)
  id!: string;
  @Field()
  name!: string;
  @Field(() => Role)
  role!: Role;
  @Field({ description: 'First characters of the secret, to recognise the key.' })
  prefix!: string;
  @Field(() => DateTimeScalar)
  createdAt!: string;
  @Field(() => DateTimeScalar, { nullable: true })
  revokedAt!: string | null;
}

@ObjectType({ description: 'A new key and its secret. The secret is shown this once; store it now.' })
export class CreatedApiKey {
  @Field(() => ApiKey)
  apiKey!: ApiKey;
  @Field({ description: 'Send as "Authorization: Bearer <secret>".' })
  secret!: string;
}

@InputType({ description: 'A new key for your tenant.' })
export class CreateApiKeyInput {
  @Field({ description: '1 to 128 characters, e.g. the service that will use it.' })
  name!: string;
  @Field(() => Role)
  role!: Role;
}

@InputType()
export class RevokeApiKeyInput {
  @Field(() => ID)
  id!: string;
}

@ObjectType({ description: 'The caller: its key, role and tenant.' })
export class Viewer {
  @Field(() => ID)
  keyId!: string;
  @Field(() => Role)
  role!: Role;
  @Field(() => Tenant)
  tenant!: Tenant;
}

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
  async createApiKey(@Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput, @Ctx() ctx: RequestContext): Promise<CreatedApiKey> {
    const { key, secret } = await this.keys.create(principalOf(ctx).tenantId, input.role, input.name);
    return { apiKey: key, secret };
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => ApiKey, { description: 'Revokes a key of your tenant at once. Errors: NOT_FOUND.' })
  async revokeApiKey(@Arg('input', () => RevokeApiKeyInput) input: RevokeApiKeyInput, @Ctx() ctx: RequestContext): Promise<ApiKey> {
    return this.keys.revoke(principalOf(ctx).tenantId, input.id);
  }
}
