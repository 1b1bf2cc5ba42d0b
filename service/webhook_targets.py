"""Which webhook URLs the service may call: the defence against server-side request forgery.

A webhook URL is called from the workers' network, where Redis, metadata services and other
internal endpoints answer. So a URL is refused when its host is, or resolves to, an address
that is not public: loopback, private, shared (100.64/10), link-local, multicast, unspecified,
reserved or documentation ranges, IPv4 and IPv6 alike, including IPv4 written in decimal,
octal or hex ("2130706433", "0x7f.1", "0177.0.0.1") and IPv4 inside IPv6 (::ffff:127.0.0.1,
6to4, Teredo). The check runs at registration (422) and again at every delivery, on the
addresses the name resolves to at that moment (a name may be re-pointed after it was
registered), and the delivery connects to the very address that was checked.

``CLAIMTRACK_WEBHOOK_ALLOW_HOSTS`` lists exceptions for receivers inside a private network:
host names or IP addresses (exact), or networks in CIDR form (``10.20.0.0/16``).
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class RefusedTarget(ValueError):
    """The URL may not be called; the message says why, without naming addresses."""


class NotPublic(RefusedTarget):
    """The host is, or resolves to, an address that is neither public nor allowed."""


@dataclass(frozen=True)
class AllowList:
    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, spec: str) -> "AllowList":
        hosts, networks = set(), []
        for item in (part.strip().lower() for part in spec.split(",")):
            if not item:
                continue
            if "/" in item:
                networks.append(ipaddress.ip_network(item, strict=False))  # ValueError: config error
            else:
                hosts.add(item.strip("[]"))
        return cls(frozenset(hosts), tuple(networks))

    def allows(self, host: str, address: IPAddress | None = None) -> bool:
        if host in self.hosts or (address is not None and str(address) in self.hosts):
            return True
        return address is not None and any(address in network for network in self.networks)


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (the addresses checked) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[IPAddress, ...]


def ip_literal(host: str) -> IPAddress | None:
    """The address a host names without DNS: an IPv4 or IPv6 literal, including the short,
    decimal, octal and hex IPv4 forms that the C library's resolver accepts."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefx." for c in host) and any(c.isdigit() for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None and not is_public(embedded):
            return False
    return address.is_global and not (
        address.is_multicast or address.is_loopback or address.is_link_local or address.is_private
        or address.is_reserved or address.is_unspecified)


def parse(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an http(s) URL; RefusedTarget otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RefusedTarget("the URL is malformed") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in ("http", "https") or not host:
        raise RefusedTarget("the URL must be http or https with a host")
    if parts.username is not None or parts.password is not None:
        raise RefusedTarget("the URL must not carry credentials")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or (443 if scheme == "https" else 80), path


def resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    """The host's addresses (DNS for a name); RefusedTarget when it has none."""
    literal = ip_literal(host)
    if literal is not None:
        return (literal,)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise RefusedTarget("the host name does not resolve") from None
    found: dict[IPAddress, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        found.setdefault(ipaddress.ip_address(str(sockaddr[0]).split("%")[0]), None)
    if not found:
        raise RefusedTarget("the host name does not resolve")
    return tuple(found)


def check(url: str, allow: AllowList) -> Target:
    """The URL as a Target whose every address may be called; RefusedTarget otherwise.

    Every address a name resolves to must be allowed, not just one: the connection may go to
    any of them, and a resolver under an attacker's control would choose.
    """
    scheme, host, port, path = parse(url)
    addresses = resolve(host, port)
    if not allow.allows(host):
        for address in addresses:
            if not is_public(address) and not allow.allows(host, address):
                raise NotPublic(
                    "the host is or resolves to a loopback, private, link-local, multicast or reserved "
                    "address; receivers inside a private network must be listed in "
                    "CLAIMTRACK_WEBHOOK_ALLOW_HOSTS")
    return Target(scheme, host, port, path, addresses)

