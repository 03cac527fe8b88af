// The signed-in token lives in this tab's sessionStorage: readable only by pages of this origin,
// gone when the tab closes, never put in a cookie that other sites could make the browser send.
const KEY = 'alertagent.token';

export const session = {
  token: (): string | null => sessionStorage.getItem(KEY),
  signIn: (token: string): void => sessionStorage.setItem(KEY, token.trim()),
  signOut: (): void => sessionStorage.removeItem(KEY),
};

export const authHeaders = (): Record<string, string> => {
  const token = session.token();
  return token ? { authorization: `Bearer ${token}` } : {};
};

export const wsUrl = (): string => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
