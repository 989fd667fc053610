import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { AppError, GRAPHQL_CODE } from '../lib/errors';

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

/**
 * graphql-js prints the refused value into its messages ("Variable "$input" got invalid value
 * { apiKey: "sk-…", temperature: "hot" }; ..."), which would hand a secret back to the client
 * and into any log. Rebuild those messages from their parts without the value.
 */
export function redactValues(message: string): { message: string; fields: string[] } {
  const variable = VARIABLE_ERROR.exec(message);
  if (variable) {
    const name = variable[1]!;
    // The tail after the printed value: ` at "input.a.b[0]"; reason` (the path is made of names
    // and indices only, so it can be found from its own shape).
    const tail = new RegExp(` at "(\\$?${name}((?:\\.[_A-Za-z][_0-9A-Za-z]*|\\[\\d+\\])*))"; (.*)$`, 's').exec(message);
    const reasonStart = message.lastIndexOf('; ');
    const reason = tail ? tail[3]! : reasonStart >= 0 ? message.slice(reasonStart + 2) : 'invalid value';
    const pathText = tail ? tail[2]! : '';
    // The input field at fault: the first step of the path, or the field the reason names
    // ("Field "modelProvider" of required type ..." / "Field "bogus" is not defined ...").
    const field =
      /^\.([_A-Za-z][_0-9A-Za-z]*)/.exec(pathText)?.[1] ??
      (pathText === '' ? /^Field "([_A-Za-z][_0-9A-Za-z]*)"/.exec(reason)?.[1] : undefined);
    const at = tail ? ` at "${name}${pathText}"` : '';
    return { message: `Variable "$${name}" got invalid value${at}; ${redactReason(reason)}`, fields: field ? [field] : [] };
  }
  return { message: redactReason(message), fields: [] };
}

function redactReason(reason: string): string {
  return reason
    .replace(/(cannot represent [^:]*?value): [\s\S]*$/, '$1.')
    .replace(/(Expected value of type "[^"]+", found) (?!null\b)[\s\S]*?(;|\.$|$)/, '$1 an invalid value$2');
}

export function createFormatError(logger: Logger) {
  return function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    const original = unwrapResolverError(error);
    if (original instanceof AppError) {
      const extensions: Record<string, unknown> = { code: GRAPHQL_CODE[original.code] };
      if (original.fields.length > 0) extensions.fields = original.fields;
      if (original.issues.length > 0) {
        extensions.issues = original.issues.map((issue) => ({ path: issue.path, msg: issue.msg, type: issue.type }));
      }
      return {
        message: original.message,
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions,
      };
    }
    const code = typeof formatted.extensions?.code === 'string' ? formatted.extensions.code : undefined;
    if (code && PASS_THROUGH.has(code)) {
      const { message, fields } = redactValues(formatted.message);
      const extensions: Record<string, unknown> = { code };
      if (fields.length > 0) extensions.fields = fields;
      return { message, ...(formatted.locations ? { locations: formatted.locations } : {}), extensions };
    }
    // Unexpected: log what happened for operators (the error object, never request values),
    // hand the client nothing it could learn internals from.
    logger.error(
      { err: original instanceof Error ? { name: original.name, message: original.message, stack: original.stack } : String(original) },
      'unexpected GraphQL error',
    );
    return {
      message: 'Internal server error',
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
