/**
 * Which hosts a router's HTTP subscription callback may name (SUBSCRIPTION_CALLBACK_HOSTS).
 * The service POSTs to a callback URL for as long as the subscription lives, with retries,
 * so an unchecked URL lets any client make it call anything it can reach (an internal admin
 * port, a metadata service): only the routers' hosts should be callable.
 */
export interface CallbackHosts {
  /** Whether the service may call `url` back (an absolute http(s) URL). */
  allows(url: string): boolean;
  /** What to say when it may not. */
  readonly refusal: string;
}

/** `['*']` allows any host, `[]` none; an entry `host` allows any port of it, `host:port` that port only. */
export function callbackHosts(entries: readonly string[]): CallbackHosts {
  const any = entries.includes('*');
  const exact = new Set(entries.filter((e) => e.includes(':') && !e.endsWith(']')).map((e) => e.toLowerCase()));
  const anyPort = new Set(entries.filter((e) => e !== '*' && !exact.has(e.toLowerCase())).map((e) => e.toLowerCase()));
  return {
    allows(url) {
      if (any) return true;
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        return false;
      }
      // URL drops a scheme's default port: `host` then names it without one.
      const port = u.port || (u.protocol === 'https:' ? '443' : '80');
      return anyPort.has(u.hostname) || exact.has(`${u.hostname}:${port}`) || exact.has(u.host);
    },
    refusal:
      entries.length === 0
        ? 'subscription callbacks are off (SUBSCRIPTION_CALLBACK_HOSTS is not set under NODE_ENV=production)'
        : 'extensions.subscription.callbackUrl names a host not in SUBSCRIPTION_CALLBACK_HOSTS',
  };
}

/**
 * The callback plugin's fetch: only allowed hosts, and no redirects, so an allowed host
 * cannot bounce the service's POSTs on to one that is not.
 */
export function callbackFetch(hosts: CallbackHosts): (url: string, init?: RequestInit) => Promise<Response> {
  return (url, init) => (hosts.allows(url) ? fetch(url, { ...init, redirect: 'error' }) : Promise.reject(new Error(hosts.refusal)));
}
