"""The real client address, which lockout and the audit trail key on.

REMOTE_ADDR is the client unless it is one of the office's own reverse proxies
(DUBAN_TRUSTED_PROXIES). Then X-Forwarded-For is read from the right: each
trusted proxy appended the address it saw, so the right-most entry that is not a
trusted proxy is the client. Anything to the left of it was written by the
client and proves nothing; reading it would let a forged header pick the key.
"""

import functools
import ipaddress

from django.conf import settings

UNKNOWN = "0.0.0.0"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def client_ip(request) -> str:
    remote = _parse(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        # No usable peer address (a misconfigured server): one shared, visible key rather than a guess.
        return UNKNOWN
    proxies = _networks(tuple(settings.DUBAN_TRUSTED_PROXIES))
    if not _trusted(remote, proxies):
        return str(remote)
    hops = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    client = remote
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # A trusted proxy never writes garbage; stop at the last address we can vouch for.
            break
        client = address
        if not _trusted(address, proxies):
            break
    return str(client)


def _parse(value: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _trusted(address: IPAddress, proxies) -> bool:
    return any(address.version == net.version and address in net for net in proxies)
