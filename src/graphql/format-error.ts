import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { AppError, graphqlError, unexpectedError } from '../lib/errors';

/** Codes whose messages are ours or graphql-js's and safe to show; everything else is masked. */
const PASS_THROUGH = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

const VARIABLE_ERROR = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" got invalid value /;
const NAME = '[_A-Za-z][_0-9A-Za-z]*';

/**
 * graphql-js prints the refused value into its messages ("Variable "$input" got invalid value
 * { apiKey: "sk-…", temperature: "hot" } at "input.temperature"; Float cannot ..."), which would
 * hand a secret back to the client and into any log. Rebuild those messages without the value.
 *
 * The printed value can imitate the rest of the message (object keys are printed unquoted), so
 * the message is never searched from the front: `reason` is the inner error's own message
 * (graphql-js keeps it as originalError), the message must end with it, and the path is then read
 * anchored at the end of what remains. Without the reason, nothing but the variable name is kept.
 */
export function redactValues(message: string, reason?: string): { message: string; fields: string[] } {
  const variable = VARIABLE_ERROR.exec(message);
  if (!variable) return { message: redactReason(message), fields: [] };
  const name = variable[1]!;
  if (reason === undefined || !message.endsWith(`; ${reason}`)) {
    return { message: `Variable "$${name}" got invalid value.`, fields: [] };
  }
  const prefix = message.slice(0, message.length - reason.length - 2);
  const path = new RegExp(` at "${name}((?:\\.${NAME}|\\[\\d+\\])*)"$`).exec(prefix)?.[1] ?? '';
  // The input field at fault: the first step of the path, or the field the reason names
  // ("Field "modelProvider" of required type ..." / "Field "bogus" is not defined ...").
  const field =
    new RegExp(`^\\.(${NAME})`).exec(path)?.[1] ?? (path === '' ? new RegExp(`^Field "(${NAME})"`).exec(reason)?.[1] : undefined);
  const at = path ? ` at "${name}${path}"` : '';
  return { message: `Variable "$${name}" got invalid value${at}; ${redactReason(reason)}`, fields: field ? [field] : [] };
}

function inputFieldOfLiteralError(message: string): string | undefined {
  return (
    new RegExp(`^Field "(${NAME})" is not defined by type "${NAME}Input"\\.`).exec(message)?.[1] ??
    new RegExp(`^Field "${NAME}Input\\.(${NAME})" of required type "[^"]+" was not provided\\.`).exec(message)?.[1]
  );
}

function redactReason(reason: string): string {
  return reason
    .replace(/(cannot represent [^:]*?value): [\s\S]*$/, '$1.')
    .replace(/(Expected value of type "[^"]+", found) (?!null\b)[\s\S]*?(;|\.$|$)/, '$1 an invalid value$2');
}

/**
 * Apollo's formatError: an AppError keeps its message and gets the code and extensions the edge
 * gives it everywhere (graphqlError); graphql-js's own errors pass with values redacted; a lost
 * database is SERVICE_UNAVAILABLE; anything else is logged and masked.
 */
export function createFormatError(logger: Logger) {
  return function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    const original = unwrapResolverError(error);
    if (original instanceof AppError) {
      return {
        message: original.message,
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: graphqlError(original).extensions,
      };
    }
    const code = typeof formatted.extensions?.code === 'string' ? formatted.extensions.code : undefined;
    if (code && PASS_THROUGH.has(code)) {
      const inner = (error as { originalError?: unknown } | null)?.originalError;
      const { message, fields } = redactValues(formatted.message, inner instanceof Error ? inner.message : undefined);
      const inputField = code === 'GRAPHQL_VALIDATION_FAILED' ? inputFieldOfLiteralError(message) : undefined;
      // An input object written inline with a field it does not have (or without a required
      // one) is the same mistake as in variables: answer it the same way, naming the field.
      const extensions: Record<string, unknown> = { code: inputField ? 'BAD_USER_INPUT' : code };
      if (inputField) extensions.fields = [inputField];
      else if (fields.length > 0) extensions.fields = fields;
      return { message, ...(formatted.locations ? { locations: formatted.locations } : {}), extensions };
    }
    const { error: masked, unexpected } = unexpectedError(original);
    if (unexpected?.kind === 'internal') {
      // Unexpected: log what happened for operators (the error object, never request values),
      // hand the client nothing it could learn internals from.
      logger.error(
        { err: original instanceof Error ? { name: original.name, message: original.message, stack: original.stack } : String(original) },
        'unexpected GraphQL error',
      );
    }
    const { message, extensions } = graphqlError(masked);
    return { message, ...(formatted.path ? { path: formatted.path } : {}), extensions };
  };
}
