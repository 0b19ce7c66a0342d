"""Where the local stack may listen: a port 1-65535 and a host that is an IP literal or a resolvable name, on a
loopback address unless remote access is asked for explicitly (the stack has no authentication: whoever can
reach it can act in every account). Shared by `mlops-local up` and the server entry, which refuse the same."""

from __future__ import annotations

import ipaddress
import re
import socket

from pipelines.errors import UsageError

MAX_PORT = 65535
ALLOW_REMOTE_FLAG = "--allow-remote"
_PORT_TEXT = re.compile(r"[1-9][0-9]{0,4}")
# RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens; a numeric last label is an
# (invalid) IPv4 address, not a name, so it is never looked up.
_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?")
_NUMERIC_LAST_LABEL = re.compile(r"(?:^|\.)[0-9]+\.?$")


class BindError(UsageError):
    """A --host or --port the stack cannot listen on; the message names the option and the fix."""


def parse_port(text: str) -> int:
    """A port 1-65535 written in plain decimal (no sign, blank, leading zero or non-ASCII digit)."""
    if not _PORT_TEXT.fullmatch(text) or int(text) > MAX_PORT:
        raise BindError(f"--port {text!r}: give a whole number from 1 to {MAX_PORT}")
    return int(text)


def is_host_name(text: str) -> bool:
    """Whether `text` is written as a host name (so it is looked up); an invalid dotted address is not."""
    return bool(_HOST_NAME.fullmatch(text)) and not _NUMERIC_LAST_LABEL.search(text)


def host_addresses(text: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...]:
    """The addresses `text` names: an IP literal itself, or what a syntactically valid host name resolves to."""
    try:
        return (ipaddress.ip_address(text),)
    except ValueError:
        pass
    if not is_host_name(text):
        raise BindError(f"--host {text!r}: not an IP address or a host name: give e.g. 127.0.0.1 or localhost")
    try:
        infos = socket.getaddrinfo(text, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise BindError(f"--host {text!r}: cannot resolve the name ({error}): give an IP address or a name "
                        "this machine resolves") from None
    return tuple(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))


def check_bind_address(host: str, allow_remote: bool) -> bool:
    """Check `host` for listening; True when it reaches beyond this machine (then `allow_remote` must be set)."""
    remote = not all(address.is_loopback for address in host_addresses(host))
    if remote and not allow_remote:
        raise BindError(f"--host {host}: not a loopback address; the stack has no authentication, so anyone who "
                        f"can reach it could call it: give {ALLOW_REMOTE_FLAG} to bind it anyway, or use 127.0.0.1")
    return remote


def remote_warning(host: str, port: int | str) -> str:
    return (f"warning: the local stack listens on {host}:{port} beyond this machine and has no authentication: "
            "anyone on the network who can reach it can call it, in every account")
