import type { ModelAggregates } from '../aggregates/aggregate.service';
import type { AuthResult } from '../lib/auth';
import type { DefaultModelService } from '../defaults/default-model.service';
import type { ModelService } from '../models/model.service';
import type { ProviderCallService } from '../provider-calls/provider-call.service';

/** Built once per request: the verified caller (or why there is none) and the services. */
export interface GraphQLContext {
  auth: AuthResult;
  models: ModelService;
  aggregates: ModelAggregates;
  defaults: DefaultModelService;
  providerCalls: ProviderCallService;
}
