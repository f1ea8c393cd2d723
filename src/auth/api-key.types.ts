import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Role } from '../access/role';
import { DateTimeScalar } from '../graphql/scalars';
import { Tenant } from './tenant.types';

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
