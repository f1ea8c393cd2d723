import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Role } from '../access/role';
import { DateTimeScalar } from '../graphql/scalars';
import { Tenant } from './tenant.types';

@ObjectType({ description: 'An API key (never its secret).' })
export class ApiKey {
  @Field(() => ID, { description: 'Id of the key; not secret (revokeApiKey takes it).' })
  id!: string;
  @Field({ description: 'What the key is for, as given at creation.' })
  name!: string;
  @Field(() => Role, { description: 'What the key may do.' })
  role!: Role;
  @Field({ description: 'First characters of the secret, to recognise the key.' })
  prefix!: string;
  @Field(() => DateTimeScalar, { description: 'When the key was created.' })
  createdAt!: string;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When the key was revoked; null while it is active.' })
  revokedAt!: string | null;
}

@ObjectType({ description: 'A new key and its secret. The secret is shown this once; store it now.' })
export class CreatedApiKey {
  @Field(() => ApiKey, { description: 'The new key.' })
  apiKey!: ApiKey;
  @Field({ description: 'Send as "Authorization: Bearer <secret>".' })
  secret!: string;
}

@InputType({ description: 'A new key for your tenant.' })
export class CreateApiKeyInput {
  @Field({ description: '1 to 128 characters, e.g. the service that will use it.' })
  name!: string;
  @Field(() => Role, { description: 'What the key may do.' })
  role!: Role;
}

@InputType({ description: 'An API key of your tenant to revoke; it stops working at once.' })
export class RevokeApiKeyInput {
  @Field(() => ID, { description: 'Id of a key of your tenant.' })
  id!: string;
}

@ObjectType({ description: 'The caller: its key, role and tenant.' })
export class Viewer {
  @Field(() => ID, { description: 'Id of the API key the request was made with.' })
  keyId!: string;
  @Field(() => Role, { description: 'Its role.' })
  role!: Role;
  @Field(() => Tenant, { description: 'The tenant it belongs to.' })
  tenant!: Tenant;
}
