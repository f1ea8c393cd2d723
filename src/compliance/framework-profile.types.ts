import { Field, InputType, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import type { FrameworkParameter } from '../plugin-api';
import type { ParameterInForce } from './framework-parameters';

@ObjectType({ description: 'An organisation-defined parameter of a framework (ADR 0038), with the value in force.' })
export class FrameworkParameterValue {
  @Field({ description: 'Kebab-case id, as rules name it.' })
  id!: string;
  @Field({ description: 'INTEGER (a count), DURATION (a window, e.g. {"hours": 72}) or RATIO (a share from 0 to 1).' })
  type!: string;
  @Field({ description: 'What the parameter sets, from the plugin.' })
  description!: string;
  @Field(() => GraphQLJSON, { description: 'The value the rules use: the tenant’s, or the default.' })
  value!: unknown;
  @Field({ description: 'DEFAULT: the plugin’s value; TENANT: your profile’s.' })
  source!: string;
  @Field(() => GraphQLJSON, { description: 'The plugin’s default.' })
  default!: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'The lowest value allowed (inclusive); null: none.' })
  min!: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'The highest value allowed (inclusive); null: none.' })
  max!: unknown;
}

@InputType({ description: 'One parameter value of a profile.' })
export class ParameterValueInput {
  @Field({ description: 'A parameter id the framework declares.' })
  id!: string;
  @Field(() => GraphQLJSON, {
    description: 'A whole number (INTEGER), a duration such as {"hours": 24} (DURATION) or a share from 0 to 1 (RATIO).',
  })
  value!: unknown;
}

@InputType({
  description:
    "Your organisation's values of a framework's parameters: the whole profile, replacing the previous one (parameters left out return to their defaults).",
})
export class SetFrameworkParametersInput {
  @Field({ description: 'Framework id.' })
  frameworkId!: string;
  @Field(() => [ParameterValueInput], { description: 'The values; an empty list returns every parameter to its default.' })
  values!: ParameterValueInput[];
  @Field({ description: 'Why (1 to 2000 characters): the policy the values come from.' })
  note!: string;
}

/** The GraphQL shape of parameters in force, with their declarations. */
export const parameterValuesOf = (
  declared: readonly FrameworkParameter[],
  inForce: readonly ParameterInForce[],
): FrameworkParameterValue[] =>
  inForce.map((p) => {
    const d = declared.find((x) => x.id === p.id);
    return Object.assign(new FrameworkParameterValue(), {
      id: p.id,
      type: p.type,
      description: d?.description ?? '',
      value: p.value,
      source: p.source,
      default: d?.default ?? null,
      min: d?.min ?? null,
      max: d?.max ?? null,
    });
  });
