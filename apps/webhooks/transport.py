"""Posting a webhook without letting its URL reach into the server's own network (SSRF): the
host is resolved once, every address it resolves to must be public (unless
VOICEPORTAL_WEBHOOKS_ALLOW_PRIVATE), and the connection goes to that checked address — a
second lookup could answer differently. Redirects are not followed."""

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

USER_AGENT = "VoicePortal-Webhooks/1"
RESPONSE_BYTES = 500  # of the reply, kept for the delivery log


class DeliveryError(Exception):
    """Why a post did not reach its receiver; `permanent` when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent


@dataclass(frozen=True)
class Reply:
    status: int
    text: str


def target_check(url: str) -> tuple[str, int, str]:
    """The (host, port, address) a URL may be posted to; DeliveryError when it may not."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError("A webhook URL must be an http:// or https:// address.", permanent=True)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DeliveryError("The webhook URL has an invalid port.", permanent=True) from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DeliveryError(f"Cannot resolve {parts.hostname}: {exc}") from None
    addresses = [info[4][0] for info in infos]
    if not settings.VOICEPORTAL_WEBHOOKS_ALLOW_PRIVATE:
        for address in addresses:
            if not _is_public(address):
                raise DeliveryError(
                    f"{parts.hostname} resolves to {address}, a private, loopback or link-local "
                    "address; webhooks go to public addresses only.",
                    permanent=True,
                )
    return parts.hostname, port, addresses[0]


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Reply:
    host, port, address = target_check(url)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        connection = _PinnedHTTPS(host, port, address=address, timeout=timeout)
    else:
        connection = _PinnedHTTP(host, port, address=address, timeout=timeout)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read(RESPONSE_BYTES).decode("utf-8", "replace")
        return Reply(response.status, text)
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}"[:300]) from None
    finally:
        connection.close()


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address checked, while Host (and TLS, below) name the URL's host."""

    def __init__(self, host, port, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address: str, timeout: float):
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)
