import 'reflect-metadata';
import { type GraphQLSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, isSpecifiedScalarType } from 'graphql';
import { buildAppSchema } from './schema';

/** Every public type, field and argument the schema declares without a description. */
function undescribed(schema: GraphQLSchema): string[] {
  const roots = new Set([schema.getQueryType(), schema.getMutationType()]);
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || isSpecifiedScalarType(type)) continue;
    if (!type.description && !roots.has(type as never)) missing.push(type.name);
    if (isEnumType(type)) continue;
    if (!isObjectType(type) && !isInputObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      if (!field.description) missing.push(`${type.name}.${field.name}`);
      for (const arg of 'args' in field ? field.args : []) if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
    }
  }
  return missing;
}

describe('the GraphQL schema as documentation', () => {
  it('describes every type, field and argument (CONTRIBUTING: the schema is the frontends’ documentation)', async () => {
    expect(undescribed(await buildAppSchema())).toEqual([]);
  });
});
