// The bucket a per-IP rate limit counts a client address under (SEC-56).
import {
  convertIPv4BinaryToString,
  convertIPv4MappedIPv6ToIPv4,
  convertIPv6BinaryToString,
  convertIPv6ToBinary,
  distinctRemoteAddr,
  isIPv4MappedIPv6,
} from "hono/utils/ipaddr";

const INTERFACE_ID_BITS = 64n;

/**
 * One subscriber, VM or container gets a whole IPv6 /64 (RFC 6177 recommends /48 to /56 per site),
 * so keying a limit by the full address would hand an attacker 2^64 fresh buckets: an IPv6 address
 * counts under its /64 (`2001:db8:1:2::/64`). IPv4 addresses count under the full address, and so
 * do IPv4-mapped IPv6 ones (`::ffff:192.0.2.1` is the IPv4 client 192.0.2.1). A value that does not
 * parse (possible only where the edge did not set CF-Connecting-IP, i.e. in local runs) is its own
 * bucket.
 * https://datatracker.ietf.org/doc/html/rfc6177
 */
export function toIPBucket(ip: string): string {
  const address = ip.trim().toLowerCase();
  if (distinctRemoteAddr(address) !== "IPv6") return address;
  let binary: bigint;
  try {
    binary = convertIPv6ToBinary(address);
  } catch {
    return address;
  }
  if (isIPv4MappedIPv6(binary)) return convertIPv4BinaryToString(convertIPv4MappedIPv6ToIPv4(binary));
  const prefix = (binary >> INTERFACE_ID_BITS) << INTERFACE_ID_BITS;
  return `${convertIPv6BinaryToString(prefix)}/64`;
}
