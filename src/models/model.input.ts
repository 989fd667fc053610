import { Field, InputType } from 'type-graphql';
import {
  CREATE_ONLY_SPECS,
  CREATE_SPECS,
  NOT_CLEARABLE_INPUTS,
  REQUIRED_ON_CREATE,
  UPDATE_SPECS,
  describeField,
  inputNameOf,
  type FieldSpec,
} from './model.fields';
import { graphqlTypeOf } from './model.type';

/*
 * Every field is nullable and optional on purpose: a field left out is not changed, an explicit
 * null clears it (JSON Merge Patch). The service tells the two apart by key presence, so these
 * classes declare no defaults. Their fields come from the table (see model.type.ts for why the
 * decorator is called rather than written on properties).
 */

const list = (names: readonly string[]): string =>
  names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : names.join('');

@InputType('UpdateModelInput', {
  description: `Fields to change. Left out: unchanged. \`null\`: cleared (an error for ${NOT_CLEARABLE_INPUTS.join(', ')}).`,
})
export class UpdateModelInput {}

@InputType('CreateModelInput', {
  description: `A new model. Same fields as UpdateModelInput, plus ${list(CREATE_ONLY_SPECS.map(inputNameOf))}; ${list(REQUIRED_ON_CREATE)} are required.`,
})
export class CreateModelInput {}

function declareInputs(target: object, specs: readonly FieldSpec[], describe: (field: FieldSpec) => string | undefined, create: boolean) {
  for (const field of specs) {
    const nullable = !(create && field.requiredOnCreate);
    Field(graphqlTypeOf(field.kind), { nullable, description: describe(field) })(target, inputNameOf(field));
  }
}

declareInputs(UpdateModelInput.prototype, UPDATE_SPECS, (field) => describeField(field, 'input'), false);
declareInputs(CreateModelInput.prototype, CREATE_SPECS, (field) => describeField(field, 'create', 'input'), true);
