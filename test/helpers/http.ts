export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Sent as is (already serialized), for malformed-JSON tests. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export async function request<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
    headers['Content-Type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

export type GraphQLResult<T = any> = HttpResult<{ data?: T; errors?: any[] }>;

export async function gql<T = any>(
  baseUrl: string,
  query: string,
  variables?: Record<string, unknown>,
  token?: string,
): Promise<GraphQLResult<T>> {
  return request(baseUrl, 'POST', '/graphql', { token, body: { query, variables } });
}

/** Every field of the GraphQL Model type. */
export const MODEL_FIELDS = `id modelId category modelProvider modelName hasApiKey baseUrl temperature dimension description abilities isShared isActive createdAt updatedAt isOwner canEdit canDelete version`;

export const REST_KEYS = [
  'id',
  'model_id',
  'category',
  'model_provider',
  'model_name',
  'base_url',
  'temperature',
  'dimension',
  'abilities',
  'description',
  'created_at',
  'updated_at',
  'is_active',
  'is_owner',
  'can_edit',
  'can_delete',
  'is_shared',
].sort();
