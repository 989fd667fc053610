/**
 * Paging of the model list, for the service that enforces it, the GraphQL cost estimate that
 * counts with it, and the documents (GraphQL descriptions, OpenAPI) that state it.
 */

/** What a list serves when `limit` is left out. */
export const DEFAULT_PAGE_SIZE = 100;
/** The most one list serves; a larger `limit` is refused (422), not clamped. */
export const MAX_PAGE_SIZE = 1000;
/** The largest `skip`: beyond it an integer is no longer exact in JSON or JavaScript. */
export const MAX_SKIP = Number.MAX_SAFE_INTEGER;
