"""AWS's wire formats, as far as the sandbox speaks them itself.

An incoming call is read into a `Call` (service, action, parameters, region,
caller) whatever its protocol: query and ec2 (form fields), JSON (an
`X-Amz-Target` header), REST-JSON (a method and a URI template from
botocore's own model). Answers and errors are written back in the shape
botocore parses for that protocol.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, unquote
from xml.sax.saxutils import escape

# Signing names that differ from the service names botocore and moto use.
_SIGNING_TO_SERVICE = {
    "monitoring": "cloudwatch",
    "tagging": "resourcegroupstaggingapi",
    "elasticloadbalancing": "elbv2",
    "events": "events",
}

# The XML namespaces of the query services whose answers the sandbox writes.
_XML_NAMESPACES = {
    "elbv2": "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
    "elb": "http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/",
    "autoscaling": "http://autoscaling.amazonaws.com/doc/2011-01-01/",
    "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "ec2": "http://ec2.amazonaws.com/doc/2016-11-15/",
}

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass
class Call:
    """One AWS API call as it reached the sandbox."""

    service: str
    """botocore's service name (`elbv2`, `ssm`, `backup`...)."""
    signing_name: str
    """The SigV4 signing name (`elasticloadbalancing`, `monitoring`...)."""
    action: str
    """The operation (`CreateLoadBalancer`)."""
    protocol: str
    """`query`, `ec2`, `json` or `rest-json`."""
    region: str
    """The region from the signature's credential scope."""
    access_key: str
    """The caller's access key id."""
    params: dict[str, Any] = field(default_factory=dict)
    """The parameters: flat form fields for query and ec2, a JSON object for
    JSON protocols, members from URI, query string and body for REST."""
    source_ip: str = "127.0.0.1"
    """The caller's address."""
    user_agent: str = ""
    """The caller's User-Agent header (shown in CloudTrail events)."""
    json_version: str = "1.1"
    """For JSON protocols: the `application/x-amz-json-` version."""
    query_mode: bool = False
    """A JSON call to a query service (CloudWatch) that wants query errors."""
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    """The request id the answer carries."""

    @property
    def event_source(self) -> str:
        """The host name CloudTrail records as the event's source."""
        return f"{self.signing_name}.amazonaws.com"

    @property
    def read_only(self) -> bool:
        """Whether CloudTrail marks the call read-only."""
        return self.action.startswith(("Describe", "List", "Get", "Lookup"))


def read_call(environ: dict[str, Any], body: bytes) -> Call | None:
    """Reads an AWS API call from a WSGI request, or None if it is not one
    (no SigV4 signature)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = _CREDENTIAL.search(auth)
    if not match:
        return None
    access_key, region, signing_name = match.groups()
    content_type = environ.get("CONTENT_TYPE", "")
    target = environ.get("HTTP_X_AMZ_TARGET")
    method = environ.get("REQUEST_METHOD", "GET")
    # REST labels may hold encoded slashes (a recovery point's ARN): match on
    # the path as sent, and decode each label after.
    raw = (
        environ.get("RAW_URI")
        or environ.get("REQUEST_URI")
        or environ.get("PATH_INFO", "/")
    )
    path = raw.split("?", 1)[0]
    query = environ.get("QUERY_STRING", "")
    call = Call(
        service=_SIGNING_TO_SERVICE.get(signing_name, signing_name),
        signing_name=signing_name,
        action="",
        protocol="query",
        region=region,
        access_key=access_key,
        source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
        user_agent=environ.get("HTTP_USER_AGENT", ""),
    )

    if target:
        call.protocol = "json"
        call.action = target.rsplit(".", 1)[-1]
        call.json_version = content_type.rsplit("-", 1)[-1] or "1.1"
        call.query_mode = environ.get("HTTP_X_AMZN_QUERY_MODE") == "true"
        try:
            call.params = json.loads(body or b"{}")
        except ValueError:
            call.params = {}
        return call

    form: dict[str, str] = dict(parse_qsl(query, keep_blank_values=True))
    if content_type.startswith("application/x-www-form-urlencoded"):
        form.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    if "Action" in form:
        call.action = form["Action"]
        call.params = form
        if (
            signing_name == "elasticloadbalancing"
            and form.get("Version") != "2015-12-01"
        ):
            call.service = "elb"
        call.protocol = "ec2" if call.service == "ec2" else "query"
        return call

    call.protocol = "rest-json"
    matched = match_rest_operation(call.service, method, path)
    if matched is None:
        call.action = f"{method} {path}"
        return call
    call.action, labels = matched
    call.params = rest_params(call.service, call.action, labels, query, body)
    return call


@cache
def _service_model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


@cache
def _rest_routes(service: str) -> list[tuple[str, re.Pattern[str], str]]:
    """(method, path pattern, operation) for every operation of a REST service,
    most specific (most literal characters) first."""
    model = _service_model(service)
    routes: list[tuple[str, re.Pattern[str], str, int]] = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = http["requestUri"].split("?", 1)[0]
        literal = len(re.sub(r"\{[^}]+\}", "", uri))
        pattern = re.sub(
            r"\{([^}+]+)(\+?)\}",
            lambda m: f"(?P<{m.group(1)}>{'.+' if m.group(2) else '[^/]+'})",
            re.escape(uri).replace(r"\{", "{").replace(r"\}", "}").replace(r"\+", "+"),
        )
        routes.append(
            (http["method"], re.compile(f"^{pattern.rstrip('/')}/?$"), name, literal)
        )
    routes.sort(key=lambda route: -route[3])
    return [(method, pattern, name) for method, pattern, name, _ in routes]


def match_rest_operation(
    service: str, method: str, path: str
) -> tuple[str, dict[str, str]] | None:
    """The REST operation a method and path call, with its URI labels."""
    try:
        routes = _rest_routes(service)
    except Exception:  # noqa: BLE001 - an unknown service is simply not matched
        return None
    for route_method, pattern, name in routes:
        if route_method != method:
            continue
        found = pattern.match(path)
        if found:
            return name, {
                key: unquote(value) for key, value in found.groupdict().items()
            }
    return None


def rest_params(
    service: str, action: str, labels: dict[str, str], query: str, body: bytes
) -> dict[str, Any]:
    """A REST call's input members, from its URI labels, query string and body."""
    shape = _service_model(service).operation_model(action).input_shape
    params: dict[str, Any] = {}
    if body:
        try:
            loaded = json.loads(body)
            if isinstance(loaded, dict):
                params.update(loaded)
        except ValueError:
            pass
    if shape is None:
        return params
    query_values = dict(parse_qsl(query, keep_blank_values=True))
    for member, member_shape in shape.members.items():
        location = member_shape.serialization.get("location")
        wire_name = member_shape.serialization.get("name", member)
        if location == "uri" and wire_name in labels:
            params[member] = labels[wire_name]
        elif location == "querystring" and wire_name in query_values:
            params[member] = query_values[wire_name]
    return params


def query_list(params: dict[str, Any], name: str) -> list[str]:
    """A query-protocol list parameter (`Name.member.1`, `Name.1`)."""
    items: list[tuple[int, str]] = []
    pattern = re.compile(rf"^{re.escape(name)}\.(?:member\.)?(\d+)$")
    for key, value in params.items():
        found = pattern.match(key)
        if found:
            items.append((int(found.group(1)), value))
    return [value for _, value in sorted(items)]


def query_structs(params: dict[str, Any], name: str) -> list[dict[str, str]]:
    """A query-protocol list of structures (`Targets.member.1.Id`)."""
    found: dict[int, dict[str, str]] = {}
    pattern = re.compile(rf"^{re.escape(name)}\.(?:member\.)?(\d+)\.(.+)$")
    for key, value in params.items():
        hit = pattern.match(key)
        if hit:
            found.setdefault(int(hit.group(1)), {})[hit.group(2)] = value
    return [found[index] for index in sorted(found)]


# Answers -------------------------------------------------------------------

Response = tuple[int, list[tuple[str, str]], bytes]
"""An HTTP answer: status, headers, body."""


def to_xml(value: Any) -> str:
    """Renders a value as query-protocol XML: dicts as elements, lists as
    `<member>` items, datetimes in ISO 8601."""
    if isinstance(value, dict):
        return "".join(
            f"<{key}>{to_xml(item)}</{key}>"
            for key, item in value.items()
            if item is not None
        )
    if isinstance(value, list):
        return "".join(f"<member>{to_xml(item)}</member>" for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return escape(str(value))


def query_answer(call: Call, result: dict[str, Any] | None) -> Response:
    """A query-protocol answer with `result` inside `<ActionResult>`."""
    namespace = _XML_NAMESPACES.get(call.service, "")
    inner = (
        ""
        if result is None
        else f"<{call.action}Result>{to_xml(result)}</{call.action}Result>"
    )
    text = (
        f'<{call.action}Response xmlns="{namespace}">{inner}'
        f"<ResponseMetadata><RequestId>{call.request_id}</RequestId></ResponseMetadata>"
        f"</{call.action}Response>"
    )
    return (
        200,
        [("Content-Type", "text/xml"), ("x-amzn-RequestId", call.request_id)],
        text.encode(),
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"cannot encode {type(value).__name__}")


def json_answer(call: Call, result: dict[str, Any], status: int = 200) -> Response:
    """A JSON (or REST-JSON) answer; datetimes become epoch seconds."""
    content_type = (
        "application/json"
        if call.protocol == "rest-json"
        else f"application/x-amz-json-{call.json_version}"
    )
    body = json.dumps(result, default=_json_default).encode()
    return (
        status,
        [("Content-Type", content_type), ("x-amzn-RequestId", call.request_id)],
        body,
    )


def answer(call: Call, result: dict[str, Any] | None, status: int = 200) -> Response:
    """An answer in the call's own protocol."""
    if call.protocol in ("query", "ec2"):
        return query_answer(call, result)
    return json_answer(call, result or {}, status)


def error(call: Call, code: str, message: str, status: int = 400) -> Response:
    """An error in the shape botocore parses for the call's protocol."""
    sender = "Sender" if status < 500 else "Receiver"
    if call.protocol == "ec2":
        text = (
            f"<Response><Errors><Error><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{call.request_id}</RequestID></Response>"
        )
        return status, [("Content-Type", "text/xml")], text.encode()
    if call.protocol == "query":
        text = (
            f"<ErrorResponse><Error><Type>{sender}</Type><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error>"
            f"<RequestId>{call.request_id}</RequestId></ErrorResponse>"
        )
        return status, [("Content-Type", "text/xml")], text.encode()
    headers = [("x-amzn-RequestId", call.request_id), ("x-amzn-ErrorType", code)]
    if call.query_mode:
        headers.append(("x-amzn-query-error", f"{code};{sender}"))
    body = json.dumps({"__type": code, "message": message, "Message": message})
    content_type = (
        "application/json"
        if call.protocol == "rest-json"
        else f"application/x-amz-json-{call.json_version}"
    )
    return status, [("Content-Type", content_type), *headers], body.encode()


THROTTLING_CODES = {
    "ec2": "RequestLimitExceeded",
    "query": "Throttling",
    "json": "ThrottlingException",
    "rest-json": "ThrottlingException",
}
"""The throttling error code each protocol's services answer with."""


def throttled(call: Call) -> Response:
    """AWS's throttling error for the call's protocol."""
    code = THROTTLING_CODES.get(call.protocol, "ThrottlingException")
    if call.protocol == "json" and call.query_mode:
        code = "Throttling"
    message = "Request limit exceeded." if call.protocol == "ec2" else "Rate exceeded"
    return error(call, code, message, 400)


def internal_failure(call: Call) -> Response:
    """An HTTP 500 as AWS sends when a service fails."""
    code = "InternalError" if call.protocol == "ec2" else "InternalFailure"
    message = (
        "An internal error has occurred"
        if call.protocol == "ec2"
        else "The request processing has failed because of an unknown error, "
        "exception or failure."
    )
    return error(call, code, message, 500)


def lower_camel(name: str) -> str:
    """`LoadBalancerName` -> `loadBalancerName`, as CloudTrail writes members."""
    return name[:1].lower() + name[1:] if name else name
