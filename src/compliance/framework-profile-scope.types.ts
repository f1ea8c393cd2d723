import { Field, InputType, ObjectType } from 'type-graphql';
import type { ScopeDimension } from '../plugin-api';
import type { DimensionInForce } from './framework-profile-scope';

@ObjectType({ description: 'One option of a scope dimension, and whether it is selected.' })
export class FrameworkScopeOption {
  @Field({ description: 'Kebab-case id, as a selection names it.' })
  id!: string;
  @Field({ description: 'A short label, e.g. Availability.' })
  name!: string;
  @Field({ description: 'What the option covers, from the plugin.' })
  description!: string;
  @Field({ description: 'Always selected: a selection without it is refused (SOC 2 Security).' })
  required!: boolean;
  @Field({ description: 'Selected in the scope in force.' })
  selected!: boolean;
}

@ObjectType({ description: 'A question that scopes a framework (ADR 0040), with the options selected.' })
export class FrameworkScopeDimension {
  @Field({ description: 'Kebab-case id, as a selection names it.' })
  id!: string;
  @Field({ description: 'What the options are, e.g. category or role.' })
  name!: string;
  @Field({ description: 'The question, from the plugin.' })
  description!: string;
  @Field({ description: 'True: any number of options (the required ones included); false: exactly one.' })
  multiple!: boolean;
  @Field(() => [String], { description: 'Ids of the options selected.' })
  selected!: string[];
  @Field({ description: 'DEFAULT: the plugin’s default selection; TENANT: your scope’s.' })
  source!: string;
  @Field(() => [String], { description: 'The plugin’s default selection.' })
  default!: string[];
  @Field(() => [FrameworkScopeOption], { description: 'Every option the dimension offers.' })
  options!: FrameworkScopeOption[];
}

@InputType({ description: 'The options selected in one dimension.' })
export class ScopeSelectionInput {
  @Field({ description: 'A dimension id the framework declares.' })
  dimensionId!: string;
  @Field(() => [String], { description: 'Option ids: exactly one in a single-choice dimension; the required ones included.' })
  options!: string[];
}

@InputType({
  description:
    "Your organisation's scope of a framework: the whole scope, replacing the previous one (dimensions left out return to their defaults).",
})
export class SetFrameworkScopeInput {
  @Field({ description: 'Framework id.' })
  frameworkId!: string;
  @Field(() => [ScopeSelectionInput], { description: 'The selections; an empty list returns every dimension to its default.' })
  selections!: ScopeSelectionInput[];
  @Field({ description: 'Why (1 to 2000 characters): the engagement letter or system description the scope comes from.' })
  note!: string;
}

/** The GraphQL shape of a scope in force, with its declarations. */
export const scopeDimensionsOf = (declared: readonly ScopeDimension[], inForce: readonly DimensionInForce[]): FrameworkScopeDimension[] =>
  inForce.flatMap((x) => {
    const d = declared.find((y) => y.id === x.id);
    if (!d) return [];
    return [
      Object.assign(new FrameworkScopeDimension(), {
        id: d.id,
        name: d.name,
        description: d.description,
        multiple: d.multiple,
        selected: x.selected,
        source: x.source,
        default: d.default,
        options: d.options.map((o) =>
          Object.assign(new FrameworkScopeOption(), {
            id: o.id,
            name: o.name,
            description: o.description,
            required: o.required === true,
            selected: x.selected.includes(o.id),
          }),
        ),
      }),
    ];
  });
