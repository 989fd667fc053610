import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import type { Caller } from '../lib/auth';
import { AppError, Errors, type FieldIssue } from '../lib/errors';
import type { Metrics } from '../lib/metrics';
import { MAX_PAGE_SIZE } from '../models/model.limits';
import type { ModelService } from '../models/model.service';
import { isCategory, parseCreateInput, parseUpdateInput, type InputRecord } from '../models/model.validation';
import { OutboundError, type OutboundBudget, type OutboundClient } from '../outbound';
import { findProvider, listProviders, type CatalogProvider } from '../providers/provider.catalog';
import {
  UpstreamError,
  listCallsOut,
  protocolFor,
  providerHttp,
  scrubKey,
  type CallTarget,
  type ProviderHttp,
  type ProviderModelEntry,
} from './protocols';

/**
 * Calls to model providers on a caller's behalf: connection tests (of a form's settings or of
 * stored models) and provider model lists. One method per operation; REST and GraphQL are thin
 * adapters over them. Every call goes through the outbound guard (address checks, timeout, size
 * cap) and the caller's budget of outbound operations; keys go only to the provider's base URL.
 */

export const PASSED_MESSAGE = 'Connection successful';
export const FAILED_MESSAGE = 'Connection failed';
export const TIMED_OUT_MESSAGE = 'Connection timed out';
export const MODEL_TEST_PASSED = 'Model test successful';
export const MODEL_TEST_FAILED = 'Model test failed';

const OPERATIONS_METRIC = 'provider_operations_total';

/** Categories a connection test knows how to check; music and sound_effect have no test yet. */
const TESTABLE = ['llm', 'embedding', 'rerank', 'image', 'speech', 'video'] as const;

/** How many stored models `/test` calls at once: bounded work per request, bounded wall time. */
const TEST_CONCURRENCY = 4;

export interface ConnectionTestResult {
  /** The model name tested (test-connection) or the stored model's model_id (/test). */
  modelId: string;
  status: 'passed' | 'failed';
  /** Seconds, to the millisecond. */
  responseTime: number;
  message: string;
  error: string | null;
}

export interface ProviderModelList {
  provider: string;
  models: ProviderModelEntry[];
  count: number;
}

export interface ProviderCallSettings {
  /** PROVIDER_TIMEOUT_MS: the bound of one provider call; quoted in the timed-out text. */
  timeoutMs: number;
  /** PROVIDER_CALLS_PER_MINUTE (0: no budget): the most one request may spend. */
  callsPerMinute: number;
}

/** What one test checks, from a form's body or a stored model. */
interface TestSpec {
  provider: string;
  category: string;
  modelName: string;
  apiKey: string | null;
  /** Given by the caller (or stored); null: the catalog's default. */
  baseUrl: string | null;
  abilities: string[] | null;
  dimension: number | null;
}

type Outcome = { passed: true } | { passed: false; kind: 'failed' | 'timeout'; error: string };

/** A test decided without calling out, or the one call that decides it. */
type Plan = { outcome: Outcome } | { call: () => Promise<Outcome> };

const passed: Outcome = { passed: true };
const failed = (error: string): Outcome => ({ passed: false, kind: 'failed', error });

export const unsupportedCategory = (category: string): string => `Unsupported category for testing: ${category}`;
export const unsupportedPair = (provider: string): string =>
  `Connection test is not supported for provider '${provider}' in this category yet`;
export const overBudgetText = (perMinute: number): string =>
  `Not tested: more models than PROVIDER_CALLS_PER_MINUTE (${perMinute}) allows in one request; test the rest with model_ids in a minute.`;
export const baseUrlRequired = (provider: string): string => `A base URL is required for provider '${provider}'`;

/** `10000` → `10`, `1500` → `1.5`: the bound in the words of the timed-out text. */
export function timedOutText(timeoutMs: number): string {
  const seconds = Number((timeoutMs / 1000).toFixed(3));
  return `Connection timed out after ${seconds} seconds. Please check your network connection and provider status.`;
}

/** Which address was refused and how an operator allows it (the guard's text when it says so). */
export function refusalText(err: OutboundError): string {
  if (/OUTBOUND_ALLOW/.test(err.message)) return err.message;
  const where = err.address ? ` (${err.address})` : '';
  return `${err.message}${where}. To allow it, add the host or its address range to OUTBOUND_ALLOW (comma-separated hosts or CIDRs).`;
}

const isRefusal = (err: OutboundError): boolean => err.kind === 'refused' || err.kind === 'redirect' || err.kind === 'bad_url';

/** The base URL a call uses: the given one, else the catalog's default; without trailing slashes. */
function effectiveBaseUrl(provider: CatalogProvider, given: string | null): string | null {
  const base = given ?? provider.defaultBaseUrl;
  return base === null ? null : base.replace(/\/+$/, '');
}

/** The contract's fields of the test-connection body (camelCase), checked by the model rules. */
export const TEST_CONNECTION_FIELDS = [
  'modelProvider',
  'modelName',
  'apiKey',
  'baseUrl',
  'category',
  'temperature',
  'dimension',
  'abilities',
  'modelId',
] as const;

export class ProviderCallService {
  private readonly http: ProviderHttp;
  private readonly operations: Counter<'provider' | 'operation' | 'outcome'>;

  constructor(
    private readonly models: ModelService,
    client: OutboundClient,
    private readonly budget: OutboundBudget,
    private readonly settings: ProviderCallSettings,
    private readonly logger: Logger,
    metrics: Metrics,
  ) {
    this.http = providerHttp(client);
    // The guard counts each HTTP request (outbound_requests_total); this counts what they were for.
    // One counter per registry: a second gateway on the same metrics (tests, a rebuilt app) shares it.
    const existing = metrics.registry.getSingleMetric(OPERATIONS_METRIC) as Counter<'provider' | 'operation' | 'outcome'> | undefined;
    this.operations =
      existing ??
      new Counter({
        name: OPERATIONS_METRIC,
        help: 'Connection tests and model lists by provider (catalog id) and outcome (passed, failed, timeout)',
        labelNames: ['provider', 'operation', 'outcome'] as const,
        registers: [metrics.registry],
      });
  }

  /** `POST /api/models/test-connection`, `testModelConnection`: always a result for a well-formed body. */
  async testConnection(caller: Caller, input: InputRecord): Promise<ConnectionTestResult> {
    const picked: InputRecord = {};
    for (const field of TEST_CONNECTION_FIELDS) if (Object.prototype.hasOwnProperty.call(input, field)) picked[field] = input[field];
    // The create rules, field for field: the form sends what it would save.
    const fields = parseCreateInput(picked);
    const spec: TestSpec = {
      provider: fields.modelProvider,
      category: fields.category ?? 'llm',
      modelName: fields.modelName,
      apiKey: fields.apiKey ?? null,
      baseUrl: fields.baseUrl ?? null,
      abilities: fields.abilities ?? null,
      dimension: fields.dimension ?? null,
    };
    const started = performance.now();
    let plan: Plan;
    if (spec.apiKey === null && fields.modelId !== undefined) {
      const lent = await this.storedKeyFor(caller, fields.modelId, spec);
      plan = lent.refusal !== undefined ? { outcome: failed(lent.refusal) } : this.plan({ ...spec, apiKey: lent.apiKey });
    } else {
      plan = this.plan(spec);
    }
    if ('call' in plan) this.budget.take(caller.sub, 1);
    const outcome = 'call' in plan ? await plan.call() : plan.outcome;
    return this.result(spec.modelName, outcome, started, false);
  }

  /** `POST /api/models/test`, `testModels`: stored models the caller may see (all when `modelIds` is left out), with their stored keys. */
  async testModels(caller: Caller, modelIds: unknown): Promise<ConnectionTestResult[]> {
    const ids = this.parseModelIds(modelIds);
    const targets: string[] =
      ids ?? (await this.models.list(caller, { isActive: null, limit: MAX_PAGE_SIZE })).map((model) => model.modelId);
    const planned: { modelId: string; plan: Plan }[] = [];
    for (const modelId of targets) {
      const stored = await this.models.withStoredKey(caller, modelId);
      if (!stored) {
        // Not there, or not visible to this caller: the same answer, so existence does not leak.
        planned.push({ modelId, plan: { outcome: failed(Errors.notFound().message) } });
        continue;
      }
      const { model } = stored;
      const spec: TestSpec = {
        provider: model.modelProvider,
        category: model.category,
        modelName: model.modelName,
        apiKey: stored.apiKey,
        baseUrl: model.baseUrl,
        abilities: model.abilities,
        dimension: model.dimension,
      };
      planned.push({
        modelId: model.modelId,
        plan: stored.keyBroken ? { outcome: failed('The stored API key could not be decrypted; save the key again.') } : this.plan(spec),
      });
    }
    // One budget unit per model that calls out, taken before any call: all or none. A request
    // for more than a whole minute's budget could never pass, so it takes the whole budget and
    // the models past it are reported untested (the caller tests them by model_ids later).
    const perMinute = this.settings.callsPerMinute;
    let calls = 0;
    for (const entry of planned) {
      if (!('call' in entry.plan)) continue;
      if (perMinute > 0 && calls >= perMinute) entry.plan = { outcome: failed(overBudgetText(perMinute)) };
      else calls++;
    }
    if (calls > 0) this.budget.take(caller.sub, calls);

    const results: ConnectionTestResult[] = new Array(planned.length);
    let next = 0;
    const worker = async () => {
      while (next < planned.length) {
        const index = next++;
        const { modelId, plan } = planned[index]!;
        const started = performance.now();
        const outcome = 'call' in plan ? await plan.call() : plan.outcome;
        results[index] = this.result(modelId, outcome, started, true);
      }
    };
    await Promise.all(Array.from({ length: Math.min(TEST_CONCURRENCY, planned.length) }, worker));
    return results;
  }

  /** `POST /api/models/providers/{provider}/models`, `fetchProviderModels`. */
  async fetchModels(caller: Caller, providerName: string, input: InputRecord): Promise<ProviderModelList> {
    const raw: InputRecord = {};
    for (const field of ['apiKey', 'baseUrl', 'category'] as const) {
      // `category: null` is "no filter" here, not a refused clear.
      if (Object.prototype.hasOwnProperty.call(input, field) && !(field === 'category' && input[field] === null)) raw[field] = input[field];
    }
    const fields = parseUpdateInput(raw);
    const provider = findProvider(providerName);
    if (!provider) {
      throw new AppError(
        'BAD_REQUEST',
        `Unsupported provider: ${providerName}. Supported providers: ${listProviders()
          .map((p) => p.id)
          .join(', ')}`,
        ['provider'],
      );
    }
    const category = fields.category;
    if (category !== undefined && !isCategory(category)) throw Errors.invalidCategory();
    const baseUrl = effectiveBaseUrl(provider, fields.baseUrl ?? null);
    if (baseUrl === null) throw new AppError('BAD_REQUEST', baseUrlRequired(provider.id), ['baseUrl']);
    const target: CallTarget = { provider, baseUrl, apiKey: fields.apiKey ?? null };

    if (listCallsOut(provider)) this.budget.take(caller.sub, 1);
    let models: ProviderModelEntry[];
    const started = performance.now();
    try {
      models = await protocolFor(provider).listModels(this.http, target);
      this.count(provider.id, 'list', 'passed', started);
    } catch (err) {
      const failure = `Failed to fetch models from ${provider.id}: `;
      if (err instanceof OutboundError && isRefusal(err)) {
        this.count(provider.id, 'list', 'refused', started);
        throw new AppError('BAD_REQUEST', failure + scrubKey(refusalText(err), this.secretsOf(target)), ['baseUrl']);
      }
      const outcome = this.outcomeOf(err, target);
      this.count(provider.id, 'list', outcome.passed ? 'passed' : outcome.kind, started);
      throw new AppError('BAD_GATEWAY', failure + (outcome.passed ? 'unknown error' : outcome.error));
    }
    const listed = category === undefined ? models : models.filter((model) => model.category === null || model.category === category);
    return { provider: provider.id, models: listed, count: listed.length };
  }

  /**
   * The stored key of `modelId` for a form's test, under the contract's rule: only a model the
   * caller may edit lends its key. A model the caller may not see, or may see but not edit, lends
   * nothing and the test runs without a key, so the answer does not tell the two apart. The key
   * also goes only to the base URL stored with it: a form that points it elsewhere must send the key.
   */
  private async storedKeyFor(caller: Caller, modelId: string, spec: TestSpec): Promise<{ apiKey: string | null; refusal?: string }> {
    const stored = await this.models.withStoredKey(caller, modelId);
    if (!stored || !stored.model.canEdit) return { apiKey: null };
    if (stored.keyBroken) return { apiKey: null, refusal: 'The stored API key could not be decrypted; enter the key again.' };
    if (stored.apiKey === null) return { apiKey: null };
    const requested = findProvider(spec.provider);
    const storedProvider = findProvider(stored.model.modelProvider);
    const requestedUrl = requested ? effectiveBaseUrl(requested, spec.baseUrl) : null;
    const storedUrl = storedProvider ? effectiveBaseUrl(storedProvider, stored.model.baseUrl) : null;
    if (requestedUrl === null || requestedUrl !== storedUrl) {
      return {
        apiKey: null,
        refusal: "The stored API key is only sent to the model's own base URL; enter the key to test another base URL.",
      };
    }
    return { apiKey: stored.apiKey };
  }

  /** What testing `spec` takes: an answer known without calling out, or the one call. */
  private plan(spec: TestSpec): Plan {
    if (!(TESTABLE as readonly string[]).includes(spec.category)) return { outcome: failed(unsupportedCategory(spec.category)) };
    const provider = findProvider(spec.provider);
    if (!provider || !(provider.categories as readonly string[]).includes(spec.category)) {
      return { outcome: failed(unsupportedPair(provider?.id ?? spec.provider)) };
    }
    const baseUrl = effectiveBaseUrl(provider, spec.baseUrl);
    if (baseUrl === null) return { outcome: failed(baseUrlRequired(provider.id)) };
    // Video generation is slow and billed per clip: the configuration is checked, nothing is called.
    if (spec.category === 'video') return { outcome: passed };

    const target: CallTarget = { provider, baseUrl, apiKey: spec.apiKey };
    const protocol = protocolFor(provider);
    const http = this.http;
    let run: (() => Promise<void>) | undefined;
    switch (spec.category) {
      case 'llm':
        if (protocol.chat) run = () => protocol.chat!(http, target, spec.modelName);
        break;
      case 'embedding':
        if (protocol.embed) run = () => protocol.embed!(http, target, spec.modelName, spec.dimension);
        break;
      case 'rerank':
        if (protocol.rerank) run = () => protocol.rerank!(http, target, spec.modelName);
        break;
      default:
        // image, speech: the provider's list must hold the model (and, where it says, the abilities).
        run = async () => {
          const listed = (await protocol.listModels(http, target)).find((model) => model.id === spec.modelName);
          if (!listed) throw new UpstreamError(`model '${spec.modelName}' is not in the provider's model list`);
          const missing = (spec.abilities ?? []).filter((ability) => listed.abilities !== null && !listed.abilities.includes(ability));
          if (missing.length > 0) throw new UpstreamError(`model '${spec.modelName}' lacks the abilities: ${missing.join(', ')}`);
        };
    }
    if (!run) return { outcome: failed(unsupportedPair(provider.id)) };
    const call = run;
    return {
      call: async () => {
        const started = performance.now();
        try {
          await call();
          this.count(provider.id, 'test', 'passed', started);
          return passed;
        } catch (err) {
          const outcome = this.outcomeOf(err, target);
          this.count(provider.id, 'test', outcome.passed ? 'passed' : outcome.kind, started);
          return outcome;
        }
      },
    };
  }

  /** A failed call in the result's words; anything unexpected is logged (never the key) and reported vaguely. */
  private outcomeOf(err: unknown, target: CallTarget): Outcome {
    const secrets = this.secretsOf(target);
    if (err instanceof OutboundError) {
      if (err.kind === 'timeout') return { passed: false, kind: 'timeout', error: timedOutText(this.settings.timeoutMs) };
      if (isRefusal(err)) return failed(scrubKey(refusalText(err), secrets));
      if (err.kind === 'too_large') return failed('The provider answered with more than the gateway accepts (1 MiB).');
      return failed(scrubKey(err.message, secrets));
    }
    if (err instanceof UpstreamError) return failed(err.reason);
    this.logger.error(
      { provider: target.provider.id, err: { name: (err as Error)?.name, message: scrubKey(String((err as Error)?.message), secrets) } },
      'provider call failed unexpectedly',
    );
    return failed('Unexpected error while calling the provider');
  }

  private secretsOf(target: CallTarget): string[] {
    return target.apiKey !== null ? [target.apiKey] : [];
  }

  private count(provider: string, operation: 'test' | 'list', outcome: string, started: number): void {
    this.operations.inc({ provider, operation, outcome });
    // One line per operation: provider, what and how it went; never the key, the URL or its query.
    this.logger.info({ provider, operation, outcome, ms: Math.round(performance.now() - started) }, 'provider call');
  }

  private result(modelId: string, outcome: Outcome, started: number, stored: boolean): ConnectionTestResult {
    const responseTime = Math.round(performance.now() - started) / 1000;
    if (outcome.passed) {
      return { modelId, status: 'passed', responseTime, message: stored ? MODEL_TEST_PASSED : PASSED_MESSAGE, error: null };
    }
    const message = stored ? MODEL_TEST_FAILED : outcome.kind === 'timeout' ? TIMED_OUT_MESSAGE : FAILED_MESSAGE;
    return { modelId, status: 'failed', responseTime, message, error: outcome.error };
  }

  /** `model_ids`: left out or null for all; otherwise a list of at most MAX_PAGE_SIZE strings (duplicates dropped). */
  private parseModelIds(value: unknown): string[] | null {
    if (value === undefined || value === null) return null;
    const issues: FieldIssue[] = [];
    if (!Array.isArray(value)) {
      throw Errors.validation([{ path: ['modelIds'], type: 'list_type', msg: 'Input should be a valid list' }]);
    }
    if (value.length > MAX_PAGE_SIZE) {
      throw Errors.validation([
        {
          path: ['modelIds'],
          type: 'too_long',
          msg: `List should have at most ${MAX_PAGE_SIZE} items after validation, not ${value.length}`,
        },
      ]);
    }
    value.forEach((id, index) => {
      if (typeof id !== 'string') issues.push({ path: ['modelIds', index], type: 'string_type', msg: 'Input should be a valid string' });
      else if (id.trim() === '')
        issues.push({ path: ['modelIds', index], type: 'string_too_short', msg: 'String should have at least 1 character' });
    });
    if (issues.length > 0) throw Errors.validation(issues);
    return [...new Set((value as string[]).map((id) => id.trim()))];
  }
}
