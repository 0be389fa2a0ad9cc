"""AWS access: clients from one place, with retries and readable errors."""

from labguide.aws.clients import Clients, Identity
from labguide.aws.errors import (
    endpoint_lacks_api,
    error_code,
    explain,
    is_error,
)
from labguide.aws.target import Target, WebRoute

__all__ = [
    "Clients",
    "Identity",
    "Target",
    "WebRoute",
    "endpoint_lacks_api",
    "error_code",
    "explain",
    "is_error",
]
