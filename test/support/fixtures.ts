import type { TestServer } from './app';

/**
 * What tests set up through the API, one function per thing: a channel, a route, a cluster, a
 * provider. Each fails the test with the server's own errors when the setup is
 * refused, instead of a `cannot read properties of null` three lines further on.
 */
type Api = Pick<TestServer, 'gql'>;

async function create<T>(
  api: Api,
  mutation: string,
  input: Record<string, unknown>,
  token: string | undefined,
  pick: (data: any) => T,
): Promise<T> {
  const answer = await api.gql(mutation, { i: input }, token);
  if (answer.errors?.length || !answer.data) throw new Error(`setup refused: ${JSON.stringify(answer.errors ?? answer)}`);
  return pick(answer.data);
}

/** A channel; answers its id. */
export function createChannel(api: Api, input: Record<string, unknown>, token?: string): Promise<string> {
  return create(api, 'mutation($i: CreateChannelInput!) { createChannel(input: $i) { id } }', input, token, (d) => d.createChannel.id);
}

/** A route; answers its id. */
export function createRoute(api: Api, input: Record<string, unknown>, token?: string): Promise<string> {
  return create(api, 'mutation($i: RouteInput!) { createRoute(input: $i) { id } }', input, token, (d) => d.createRoute.id);
}

/** A channel and the default route "all" sending every alert to it; answers the channel's id. */
export async function routeAllTo(api: Api, channel: Record<string, unknown>, token?: string): Promise<string> {
  const channelId = await createChannel(api, channel, token);
  await createRoute(api, { name: 'all', isDefault: true, channelIds: [channelId] }, token);
  return channelId;
}

/** A cluster with the tokens shown once at creation. */
export function createCluster(
  api: Api,
  input: Record<string, unknown>,
  token?: string,
): Promise<{ id: string; webhookToken: string; sidecarToken: string }> {
  return create(
    api,
    'mutation($i: CreateClusterInput!) { createCluster(input: $i) { webhookToken sidecarToken cluster { id } } }',
    input,
    token,
    (d) => ({ id: d.createCluster.cluster.id, webhookToken: d.createCluster.webhookToken, sidecarToken: d.createCluster.sidecarToken }),
  );
}

/** An analysis provider; answers its id. */
export function createAnalysisProvider(api: Api, input: Record<string, unknown>, token?: string): Promise<string> {
  return create(
    api,
    'mutation($i: AnalysisProviderInput!) { createAnalysisProvider(input: $i) { id } }',
    input,
    token,
    (d) => d.createAnalysisProvider.id,
  );
}
