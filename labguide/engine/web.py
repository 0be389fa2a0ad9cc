"""Fetching a page through the ALB's DNS name.

On AWS the name resolves through DNS. A target may hand in a `WebRoute`
instead (the sandbox does): the request then goes to that address with the
DNS name kept in the Host header, as `curl --connect-to` does. The engine
does not know which one it is using.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass

from labguide.aws.target import WebRoute

MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Page:
    """What an HTTP GET returned."""

    status: int
    body: str
    server: str = ""


class WebError(Exception):
    """The request got no HTTP answer (DNS, refused, timed out)."""


def fetch(
    dns_name: str, path: str = "/", route: WebRoute | None = None, timeout: float = 10.0
) -> Page:
    """GETs `http://dns_name/path`.

    Raises:
        WebError: no HTTP answer came back.
    """
    host, port = (route.host, route.port) if route else (dns_name, 80)
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(
            "GET", path, headers={"Host": dns_name, "User-Agent": "labguide-check"}
        )
        response = connection.getresponse()
        body = response.read(MAX_BODY).decode("utf-8", "replace")
        return Page(response.status, body, response.getheader("Server", "") or "")
    except (TimeoutError, OSError, http.client.HTTPException) as error:
        raise WebError(f"{dns_name}: {error}") from None
    finally:
        connection.close()
