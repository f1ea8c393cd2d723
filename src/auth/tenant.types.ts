import { Field, ID, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../graphql/scalars';

@ObjectType({ description: 'The tenant that owns an event or key.' })
export class Tenant {
  @Field(() => ID, { description: 'The tenant id every event and key carries.' })
  id!: string;
  @Field({ description: 'Display name of the tenant.' })
  name!: string;
  @Field(() => DateTimeScalar, { description: 'When the tenant was created.' })
  createdAt!: string;
}
