import { validationFailed } from '../errors/index.js';

/**
 * The one check of where Switchboard may POST, made when a subscription is saved and again before
 * every delivery (what a host name resolves to can change in between). It answers the URL to use
 * or throws a validation error naming `url`. Asynchronous so that a check which resolves the host
 * (a guard against private and loopback targets) fits here without changing its callers.
 */
export async function checkDeliveryUrl(raw: string): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refused('must be an absolute URL, e.g. https://example.com/hooks');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refused(`must be http or https, not ${url.protocol.slice(0, -1)}`);
  if (url.username || url.password) throw refused('must not carry credentials (user:password@): authenticate the POST with its signature');
  return url;
}

/** The check's signature, for injecting a stricter one. */
export type DeliveryUrlCheck = (raw: string) => Promise<URL>;

function refused(message: string) {
  return validationFailed([{ path: 'url', message }]);
}
