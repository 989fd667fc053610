import { ArgsType, Field, Int } from 'type-graphql';
import { UpdateModelInput } from './model.input';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './model.limits';

/*
 * Argument classes rather than @Arg parameters: type-graphql lists @Arg parameters in reverse,
 * while class fields keep their declared order, which is the order the contract writes.
 */

@ArgsType()
export class ModelsArgs {
  @Field(() => String, { nullable: true, description: 'Only this category.' })
  category?: string | null;

  @Field(() => String, { nullable: true, description: 'Only this provider (case-insensitive).' })
  modelProvider?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Left out: active models only. null: active and inactive.' })
  isActive?: boolean | null;

  @Field(() => Int, { nullable: true, description: 'How many to skip (default 0).' })
  skip?: number | null;

  @Field(() => Int, { nullable: true, description: `At most this many, 1 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}).` })
  limit?: number | null;
}

@ArgsType()
export class UpdateModelArgs {
  @Field(() => String, { description: 'The public id of the model to change.' })
  modelId!: string;

  @Field(() => UpdateModelInput, { description: 'The fields to change.' })
  input!: UpdateModelInput;

  @Field(() => Int, { nullable: true, description: 'The version the change was based on; CONFLICT when the model has moved on.' })
  expectedVersion?: number | null;
}

@ArgsType()
export class SetModelActiveArgs {
  @Field(() => String, { description: 'The public id of the model.' })
  modelId!: string;

  @Field(() => Boolean, { description: 'true: activate; false: deactivate.' })
  active!: boolean;
}
