import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { createClient } from 'graphql-ws';
import { createRoot } from 'react-dom/client';
import { authHeaders, session, wsUrl } from './session';

// Queries and mutations go over HTTP with the console's token (or the headers typed in the editor);
// subscriptions over graphql-ws, which carries the token in its connection parameters.
const wsClient = createClient({ url: wsUrl(), connectionParams: () => authHeaders(), lazy: true, retryAttempts: 5 });
// The token goes with every request without being shown in the headers editor.
const fetcher = createGraphiQLFetcher({ url: '/graphql', wsClient, headers: authHeaders() });
const token = session.token();

const welcome = `# AlertAgent GraphQL explorer — everything here is served by AlertAgent itself.
# ${token ? 'Requests carry the token you signed in to the console with.' : 'Sign in to the console (/) first, or add {"Authorization": "Bearer <token>"} under Headers.'}
# Subscriptions work too: try \`subscription { gatewayEvents { type alertname recordId at } }\`.

query Overview {
  viewer { name roleName }
  health { status }
  alertRecords(limit: 10) { total items { alertname state severity cluster receivedAt } }
}
`;

createRoot(document.getElementById('root')!).render(<GraphiQL fetcher={fetcher} defaultQuery={welcome} />);
