import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Config } from '../lib/config';
import { GRAPHQL_IDE_PATH } from './graphql-ide';

/** `-s` matters: without it npm prints its own banner lines into the token. */
export const TOKEN_COMMAND = 'npm run -s token -- --sub alice';

/** The header both IDEs start with: a placeholder to replace, so the shape is visible. */
export const AUTHORIZATION_PLACEHOLDER = `Bearer <paste the output of: ${TOKEN_COMMAND}>`;

/**
 * The operation the IDEs open with. A read works on a fresh install (an empty list, or the
 * seeded models); an update of a made-up id would answer NOT_FOUND to a first-time user.
 */
export const SANDBOX_DOCUMENT = `# Add the header  Authorization: Bearer <token>  (get one with: ${TOKEN_COMMAND})
query Models($limit: Int) {
  models(limit: $limit) {
    modelId
    category
    modelProvider
    modelName
    hasApiKey
    isShared
    canEdit
    version
    updatedAt
  }
}
`;

export const SANDBOX_VARIABLES = { limit: 20 };

const OFFLINE_TEXT = 'Apollo Sandbox cannot be loaded; it appears that you might be offline.</p>';

/**
 * Apollo Sandbox at GET /graphql. Sandbox itself comes from Apollo's servers; the page's
 * offline message gains a link to the IDE this gateway serves itself.
 */
export function landingPagePlugin(config: Config): ApolloServerPlugin {
  if (!config.landingPage) return ApolloServerPluginLandingPageDisabled();
  const inner = ApolloServerPluginLandingPageLocalDefault({
    embed: true,
    document: SANDBOX_DOCUMENT,
    variables: SANDBOX_VARIABLES,
    headers: { Authorization: AUTHORIZATION_PLACEHOLDER },
  });
  return {
    async serverWillStart(service) {
      const listener = await inner.serverWillStart?.(service);
      if (!listener?.renderLandingPage) return listener;
      const render = listener.renderLandingPage.bind(listener);
      return {
        ...listener,
        async renderLandingPage() {
          const page = await render();
          const link = `${OFFLINE_TEXT}\n  <p>Offline? Use the GraphQL IDE served by this gateway: <a href="${GRAPHQL_IDE_PATH}">${GRAPHQL_IDE_PATH}</a></p>`;
          const withLink = (html: string) => {
            const nonce = /<script nonce="([0-9A-Za-z+/=_-]{16,})"/.exec(html)?.[1];
            // The embed's empty container lies over the offline message; without the embed it goes, so the link can be clicked.
            const uncover = nonce
              ? `<script nonce="${nonce}">if (!window.EmbeddedSandbox) document.getElementById('embeddableSandbox').style.display = 'none';</script>\n`
              : '';
            return html.replace(OFFLINE_TEXT, link).replace('</body>', `${uncover}</body>`);
          };
          const { html } = page;
          return { html: typeof html === 'string' ? withLink(html) : async () => withLink(await html()) };
        },
      };
    },
  };
}
