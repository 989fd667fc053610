import { Field, Float, Int, ObjectType } from 'type-graphql';
import { MODEL_FIELDS, describeField, type FieldKind, type FieldSpec } from './model.fields';

/** The GraphQL type of a field's values, by kind. */
/** What `@Field(() => ...)` takes. */
type GraphQLTypeOf = NonNullable<Parameters<typeof Field>[0]> & ((...args: never[]) => unknown);

export function graphqlTypeOf(kind: FieldKind): GraphQLTypeOf {
  switch (kind) {
    case 'number':
      return () => Float;
    case 'integer':
      return () => Int;
    case 'boolean':
      return () => Boolean;
    case 'string-list':
      return () => [String];
    default:
      return () => String;
  }
}

/*
 * The fields are declared from the table (model.fields.ts) rather than one decorated property
 * each: type-graphql collects field metadata per class whenever the decorator runs, and builds
 * the schema from it later, so calling the decorator here is what `@Field` on a property does.
 * Resolvers return ModelView, the type the table derives.
 */
@ObjectType('Model', { description: 'A configured AI model in the registry, as the caller sees it. The API key is write-only.' })
export class Model {}

const fields: readonly FieldSpec[] = MODEL_FIELDS;
for (const field of fields) {
  if (field.graphql === false) continue;
  Field(graphqlTypeOf(field.kind), { nullable: field.nullable ?? false, description: describeField(field, 'graphql') })(
    Model.prototype,
    field.name,
  );
}
