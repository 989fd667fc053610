import { Field, ObjectType } from 'type-graphql';
import { Model } from '../models/model.type';
import type { ModelView } from '../models/model.view';

@ObjectType('DefaultModel', { description: "A caller's default model of one config type (what agents and forms preselect)." })
export class DefaultModel {
  @Field(() => String, { description: 'The config type, e.g. `general`, `small_fast`, `visual`, `embedding`.' })
  configType!: string;

  @Field(() => Boolean, {
    description:
      "True when the caller has no default of this type and this is the organisation's: an admin's default on a shared, active model.",
  })
  inherited!: boolean;

  @Field(() => Model, { description: 'The model, as the caller sees it.' })
  model!: ModelView;

  @Field(() => String, { description: 'When the default was first set, ISO-8601 UTC.' })
  createdAt!: string;

  @Field(() => String, { description: 'When the default was last set, ISO-8601 UTC.' })
  updatedAt!: string;
}
