"""Turning botocore's exceptions into one sentence with the fix."""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    SSOTokenLoadError,
    UnauthorizedSSOTokenError,
)

from labguide.errors import LabguideError

EXPIRED_CODES = frozenset(
    {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
)
DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "AuthFailure",
    }
)
MISSING_API_CODES = frozenset(
    {"InvalidAction", "UnknownOperationException", "NotImplemented", "UnknownOperation"}
)


def error_code(error: BaseException) -> str:
    """The AWS error code of a ClientError, or '' for anything else."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""


def is_error(error: BaseException, *codes: str) -> bool:
    """Whether `error` is a ClientError with one of `codes`."""
    return error_code(error) in codes


def endpoint_lacks_api(error: BaseException) -> bool:
    """Whether the endpoint does not implement the call at all.

    AWS-compatible endpoints (moto among them) answer an action they lack with
    an HTTP 500 or 404 and a "not implemented" body, or an unknown-action code.
    """
    if not isinstance(error, ClientError):
        return False
    code = error_code(error)
    if code in MISSING_API_CODES:
        return True
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    message = str(error.response.get("Error", {}).get("Message", "")).lower()
    if "not yet implemented" in message or "not implemented" in message:
        return True
    return status in (404, 500, 501) and code in ("", "404", "500", "InternalError")


def explain(error: BaseException, profile: str | None = None) -> LabguideError | None:
    """The learner-facing version of a credentials, region or access error.

    Returns None for errors that are not about reaching AWS at all (the caller
    handles those in context).
    """
    name = profile or "default"
    if isinstance(error, RuntimeError) and "still expired" in str(error):
        # botocore's refreshable credentials (credential_process, SSO) raise
        # a bare RuntimeError when a refresh brings expired ones again.
        return LabguideError(
            f"The AWS credentials of profile {name!r} have expired, and "
            "refreshing them brought expired ones again.",
            f"Renew them (for SSO: `aws sso login --profile {name}`) and try again.",
        )
    if isinstance(error, CredentialRetrievalError):
        # The provider's own output may run over several lines: keep the first.
        detail = next(iter(str(error.kwargs.get("error_msg", "")).splitlines()), "")
        return LabguideError(
            f"The AWS credentials of profile {name!r} could not be obtained from "
            f"{error.kwargs.get('provider', 'their provider')}"
            + (f": {detail.strip()}." if detail.strip() else "."),
            "Check the profile's credential_process (or run `aws configure`).",
        )
    if isinstance(error, ProfileNotFound):
        return LabguideError(
            f"The AWS profile {profile!r} does not exist.",
            "List your profiles with `aws configure list-profiles`, or create one "
            "with `aws configure --profile NAME`.",
        )
    if isinstance(error, (UnauthorizedSSOTokenError, SSOTokenLoadError)):
        return LabguideError(
            f"The SSO session of profile {name!r} has expired or never started.",
            f"Run `aws sso login --profile {name}` and try again.",
        )
    if isinstance(error, NoCredentialsError):
        return LabguideError(
            "No AWS credentials were found.",
            "Run `aws configure` (or `aws sso login --profile NAME` and pass "
            "--profile NAME), or leave out --aws to use the built-in sandbox.",
        )
    if isinstance(error, PartialCredentialsError):
        return LabguideError(
            f"The AWS credentials are incomplete: {error}.",
            "Set both the access key id and the secret access key.",
        )
    if isinstance(error, NoRegionError):
        return LabguideError(
            "No AWS region is set.", "Pass --region, e.g. --region us-east-1."
        )
    if isinstance(error, (EndpointConnectionError, ConnectTimeoutError)):
        return LabguideError(
            f"Cannot reach the AWS endpoint: {error}.",
            "Check your network, the region name and AWS_ENDPOINT_URL if set.",
        )
    code = error_code(error)
    if code in EXPIRED_CODES:
        return LabguideError(
            f"The AWS credentials of profile {name!r} have expired.",
            f"Refresh them (for SSO: `aws sso login --profile {name}`) and try again.",
        )
    if code in DENIED_CODES:
        message = ""
        if isinstance(error, ClientError):
            message = str(error.response.get("Error", {}).get("Message", ""))
        return LabguideError(
            f"AWS refused the call ({code}): {message}".rstrip(": "),
            "Use a profile whose role may create the lab's resources (EC2, ELB, "
            "Auto Scaling, IAM, CloudWatch, SNS, Logs, Backup, CloudTrail).",
        )
    if isinstance(error, BotoCoreError) and not isinstance(error, ClientError):
        # One line, whatever the message carries (a provider's stderr, say).
        return LabguideError(f"AWS call failed: {' '.join(str(error).split())}.")
    return None
