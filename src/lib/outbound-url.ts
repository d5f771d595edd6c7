// Which URLs the server may send requests to on a customer's behalf (SEC-75): the checks that
// need no DNS. The WHATWG URL parser has already normalized the host (decimal, octal and hex IPv4
// forms become dotted quads; IPv6 is compressed), so one check of the parsed host covers every
// spelling of an address.
import ipaddr from "ipaddr.js";

export type OutboundURLProblem =
  | "not_a_url"
  | "scheme"
  | "credentials"
  | "private_address"
  | "local_hostname"
  | "too_long";

export const MAX_OUTBOUND_URL_LENGTH = 2048;

/**
 * `allowInsecure` (dev only) lets http:// and local host names through, for a receiver on the
 * developer's machine; IP literals outside the public unicast space are refused in every
 * environment, since a name can be given to the same receiver.
 */
export function checkOutboundURL(value: string, options: { allowInsecure: boolean }): OutboundURLProblem | null {
  if (value.length > MAX_OUTBOUND_URL_LENGTH) return "too_long";
  if (!URL.canParse(value)) return "not_a_url";
  const url = new URL(value);
  const schemes = options.allowInsecure ? ["https:", "http:"] : ["https:"];
  if (!schemes.includes(url.protocol)) return "scheme";
  // Credentials in the URL would be sent to (and logged by) every proxy on the way.
  if (url.username !== "" || url.password !== "") return "credentials";
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  if (ipaddr.isValid(host)) return isPublicUnicast(host) ? null : "private_address";
  if (!options.allowInsecure && isLocalHostname(host)) return "local_hostname";
  return null;
}

/**
 * Only the global unicast space is allowed: private, loopback, link-local, unique-local, CGNAT,
 * multicast, reserved, and the v6 forms that embed a v4 address (mapped, 6to4, Teredo, NAT64),
 * which could reach one of those, are all refused.
 */
function isPublicUnicast(host: string): boolean {
  const address = ipaddr.parse(host);
  return address.range() === "unicast";
}

/** RFC 6761 reserves localhost and *.localhost for loopback. */
function isLocalHostname(host: string): boolean {
  const name = host.replace(/\.$/, "").toLowerCase();
  return name === "localhost" || name.endsWith(".localhost");
}
