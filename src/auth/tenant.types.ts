import { Field, ID, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../graphql/scalars';

@ObjectType({ description: 'The tenant that owns an event or key.' })
export class Tenant {
  @Field(() => ID)
  id!: string;
  @Field()
  name!: string;
  @Field(() => DateTimeScalar)
  createdAt!: string;
}
