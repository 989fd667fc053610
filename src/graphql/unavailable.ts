import type { ApolloServerPlugin } from '@apollo/server';
import type { FormattedExecutionResult } from 'graphql';
import { errorAnswer, ERROR_CODES, Errors } from '../lib/errors';

const UNAVAILABLE = ERROR_CODES.UNAVAILABLE.graphql;

/**
 * An operation that could not run at all because the database is out of reach (every error is
 * SERVICE_UNAVAILABLE and no root field has a value) is not a partial result: it gets the edge's
 * answer to an outage, HTTP 503 with Retry-After and one error, as a refusal before execution
 * would. A result with any data keeps HTTP 200 and its errors.
 */
export function unavailableAsHttp503Plugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { errors, data } = response.body.singleResult;
          if (!errors || errors.length === 0 || !errors.every((error) => error.extensions?.code === UNAVAILABLE)) return;
          if (data && Object.values(data).some((value) => value !== null)) return;
          const answer = errorAnswer(Errors.unavailable(), 'graphql');
          response.http.status = answer.status;
          for (const [name, value] of Object.entries(answer.headers)) response.http.headers.set(name.toLowerCase(), value);
          response.body.singleResult = answer.body as FormattedExecutionResult;
        },
      };
    },
  };
}
