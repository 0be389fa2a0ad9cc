"""Where the lab runs: the sandbox or an AWS account, as one description.

The engine reaches either one over HTTP through boto3, the same way; a
`Target` only says which endpoint, region and credentials to use, and how an
HTTP request for the ALB's DNS name reaches the load balancer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SANDBOX_ACCOUNT_LABEL = "sandbox"


@dataclass(frozen=True)
class WebRoute:
    """Where HTTP requests for a load balancer's DNS name are sent.

    Real AWS needs none: the name resolves through DNS. The sandbox answers
    such requests itself, so they go to its endpoint with the DNS name kept
    in the Host header (as `curl --connect-to` does).
    """

    host: str
    port: int


@dataclass(frozen=True)
class Target:
    """The endpoint, region and credentials the lab runs against."""

    kind: Literal["sandbox", "aws"]
    """The built-in sandbox, or AWS (or any AWS-compatible endpoint)."""
    region: str
    """The region the lab runs in."""
    profile: str | None = None
    """An AWS profile name (AWS only); None uses the default credential chain."""
    endpoint_url: str | None = None
    """An endpoint that replaces AWS's (the sandbox's; or AWS_ENDPOINT_URL)."""
    web_route: WebRoute | None = None
    """How a request for the ALB's DNS name is reached (the sandbox's)."""
    access_key_id: str | None = None
    """Fixed, non-secret keys for the sandbox only; never set for AWS."""
    secret_access_key: str | None = None
    """Fixed, non-secret keys for the sandbox only; never set for AWS."""

    @property
    def is_sandbox(self) -> bool:
        """Whether this is the built-in sandbox (only for labels and safety
        prompts: the engine behaves the same against both)."""
        return self.kind == "sandbox"
