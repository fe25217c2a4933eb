"""The HTTP API's IAM authorizer (``DefaultAuthorizer: AWS_IAM``), locally.

A request must carry a valid SigV4 signature, as API Gateway requires before it invokes anything;
refusals are API Gateway's: 403 with ``x-amzn-ErrorType`` and ``{"message": ...}`` (plus ``__type``,
which botocore reads the same way). The signature is computed by botocore's own ``SigV4Auth``. Locally:

- an access key the emulator issued (an IAM user's, an STS session's) signs with its own secret and
  is that principal: the IAM user's or the assumed role session's ARN (a session's token must come
  with it), in the issuing account; any other access key signs with one of the secret keys other
  emulators' clients are configured with (LOCAL_SECRET_KEYS: moto's ``testing``, LocalStack's ``test``),
  and is the account root: of the account its 12 digits name (the convention of other AWS emulators),
  else of the default account. Two access keys with different accounts are two tenants;
- the signing name is API Gateway's own (``execute-api``) or another the application names (its
  App.signing_names: translate-jobs' clients are the Translate SDKs, which sign for ``translate``);
  the scope's region must be the stack's, and the request's date within 15 minutes of now;
- the signature always covers the body as received (its SHA-256): an ``x-amz-content-sha256`` that
  is not that hash (``UNSIGNED-PAYLOAD`` is S3's alone) is refused, and so is a ``Host`` that is not
  the API's own (a request signed for another endpoint is not replayed here).
"""

import hashlib
import hmac
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials
from botocore.utils import normalize_url_path

LOCAL_SECRET_KEY = "testing"  # what this project's own clients sign with (moto's convention)
# Keys the emulator did not issue sign with any of these: moto's and LocalStack's conventional secrets, so a
# client configured for either works unchanged (a key the emulator issued signs with its own secret only).
LOCAL_SECRET_KEYS = (LOCAL_SECRET_KEY, "test")
MAX_CLOCK_SKEW = timedelta(minutes=15)
ALGORITHM = "AWS4-HMAC-SHA256"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)


@dataclass(frozen=True)
class Caller:
    access_key: str | None
    account_id: str
    user_arn: str


@dataclass(frozen=True)
class IssuedKey:
    """An access key the emulator issued: its secret, its principal, and the session token it needs (if any)."""

    secret: str
    account_id: str
    arn: str
    session_token: str | None = None


class AuthorizationError(Exception):
    """A refusal, as API Gateway words it (status 403)."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


def emulator_credentials(access_key_id: str) -> IssuedKey | None:
    """An access key moto issued in this process (an active IAM user key, an unexpired STS session)."""
    from moto.core.utils import utcnow
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    for account_id in list(iam_backends):
        for backend in list(iam_backends[account_id].values()):
            user = backend.get_user_from_access_key_id(access_key_id)
            if user is None:
                continue
            for key in user.access_keys:
                if key.access_key_id == access_key_id and key.status == "Active":
                    return IssuedKey(key.secret_access_key, user.account_id, user.arn)
    for account_id in list(sts_backends):
        for sts in list(sts_backends[account_id].values()):
            role = sts.get_assumed_role_from_access_key(access_key_id)
            if role and role.expiration > utcnow():
                return IssuedKey(role.secret_access_key, role.account_id, role.arn, role.session_token)
    return None


def account_for(access_key_id: str, default_account: str) -> str:
    return access_key_id if re.fullmatch(r"\d{12}", access_key_id) else default_account


class _Verifier(SigV4Auth):
    """botocore's signer, made to recompute a received signature: the headers the client signed, the
    hash of the body as received (as an x-amz-content-sha256 header, which botocore signs in its place)."""

    def __init__(self, credentials: Credentials, service: str, region: str, signed: dict[str, str], body_hash: str) -> None:
        super().__init__(credentials, service, region)
        self._signed, self._body_hash = signed, body_hash

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        return HTTPHeaders.from_dict(self._signed)

    def _normalize_url_path(self, path: str) -> str:
        return self._path

    def canonical_query_string(self, request: AWSRequest) -> str:
        return self._query

    def signature_of(self, method: str, path: str, query: str, amz_date: str) -> str:
        """The signature of this request with this canonical path and query."""
        self._path, self._query = path, query
        request = AWSRequest(method=method, url="http://local/", headers={"X-Amz-Content-SHA256": self._body_hash})
        request.context["timestamp"] = amz_date
        return str(self.signature(self.string_to_sign(request, self.canonical_request(request)), request))


def authenticate(
    method: str, raw_path: str, query: str, headers: dict[str, str], body: bytes, *,
    region: str, default_account: str, now: datetime | None = None,
    lookup: Callable[[str], IssuedKey | None] = emulator_credentials, host_ok: Callable[[str], bool] | None = None,
    signing_names: Collection[str] = ("execute-api",),
) -> Caller:
    """The caller of a SigV4-signed request, or AuthorizationError. ``headers`` have lower-case names;
    ``lookup``: the key the emulator issued with this id, if any; ``host_ok``: does a Host name this API (None: any does)."""
    fields = _authorization_fields(headers)
    access_key, scope_date, scope_region, service = _scope(fields["Credential"], region, signing_names)
    amz_date = _check_date(headers, scope_date, now or datetime.now(UTC))
    signed_headers = fields["SignedHeaders"].lower().split(";")
    if "host" not in signed_headers or any(name not in headers for name in signed_headers):
        raise AuthorizationError("InvalidSignatureException", MISMATCH)
    if host_ok is not None and not host_ok(headers["host"].lower()):
        raise AuthorizationError(
            "InvalidSignatureException", f"The request was signed for host '{headers['host'][:100]}', not this API's."
        )
    body_hash = hashlib.sha256(body).hexdigest()
    if headers.get("x-amz-content-sha256", body_hash) != body_hash:
        raise AuthorizationError(
            "InvalidSignatureException", "The x-amz-content-sha256 header does not match the SHA-256 of the request body."
        )
    issued = lookup(access_key)
    if issued and issued.session_token is not None and headers.get("x-amz-security-token") != issued.session_token:
        raise AuthorizationError("UnrecognizedClientException", "The security token included in the request is invalid.")
    signed = {name: headers[name] for name in signed_headers}
    for secret in (issued.secret,) if issued else LOCAL_SECRET_KEYS:
        verifier = _Verifier(Credentials(access_key, secret), service, scope_region, signed, body_hash)
        for path, canonical_query in _canonical_forms(raw_path, query):
            expected = verifier.signature_of(method, path, canonical_query, amz_date)
            if hmac.compare_digest(expected, fields["Signature"].lower()):
                if issued:
                    return Caller(access_key, issued.account_id, issued.arn)
                account_id = account_for(access_key, default_account)
                return Caller(access_key, account_id, f"arn:aws:iam::{account_id}:root")
    raise AuthorizationError("InvalidSignatureException", MISMATCH)


def _authorization_fields(headers: dict[str, str]) -> dict[str, str]:
    authorization = headers.get("authorization")
    if not authorization:
        raise AuthorizationError("MissingAuthenticationTokenException", "Missing Authentication Token")
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise AuthorizationError("IncompleteSignatureException", f"Unsupported authorization type: {algorithm[:40]!r}.")
    fields = {}
    for part in rest.split(","):
        key, _, value = part.strip().partition("=")
        fields[key] = value
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not fields.get(name)]
    if missing:
        raise AuthorizationError(
            "IncompleteSignatureException", " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
        )
    return fields


def _scope(credential: str, region: str, signing_names: Collection[str]) -> tuple[str, str, str, str]:
    scope = credential.split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not scope[0]:
        raise AuthorizationError(
            "IncompleteSignatureException",
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.",
        )
    access_key, scope_date, scope_region, service, _ = scope
    if service not in signing_names:
        raise AuthorizationError("InvalidSignatureException", "Credential should be scoped to correct service: 'execute-api'.")
    if scope_region != region:
        raise AuthorizationError(
            "InvalidSignatureException", f"Credential should be scoped to a valid region, not '{scope_region[:40]}'."
        )
    return access_key, scope_date, scope_region, service


def _check_date(headers: dict[str, str], scope_date: str, current: datetime) -> str:
    amz_date = headers.get("x-amz-date", "")
    try:
        signed_at = datetime.strptime(amz_date, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise AuthorizationError(
            "IncompleteSignatureException", "Authorization header requires existence of a valid 'X-Amz-Date' header."
        ) from None
    if scope_date != amz_date[:8]:
        raise AuthorizationError(
            "InvalidSignatureException",
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{scope_date[:20]}' != '{amz_date[:8]}', from '{amz_date}'.",
        )
    if signed_at < current - MAX_CLOCK_SKEW:
        raise AuthorizationError(
            "InvalidSignatureException",
            f"Signature expired: {amz_date} is now earlier than {(current - MAX_CLOCK_SKEW).strftime(AMZ_DATE_FORMAT)} "
            f"({current.strftime(AMZ_DATE_FORMAT)} - 15 min.)",
        )
    if signed_at > current + MAX_CLOCK_SKEW:
        raise AuthorizationError(
            "InvalidSignatureException",
            f"Signature not yet current: {amz_date} is still later than {(current + MAX_CLOCK_SKEW).strftime(AMZ_DATE_FORMAT)} "
            f"({current.strftime(AMZ_DATE_FORMAT)} + 15 min.)",
        )
    return amz_date


def _canonical_forms(raw_path: str, query: str) -> list[tuple[str, str]]:
    """The path and query as signers canonicalize them: botocore double-encodes the path it sent and
    sorts the query as sent; the SigV4 specification's form decodes, then encodes, each once."""
    pairs = sorted(pair.partition("=")[::2] for pair in query.split("&")) if query else []
    encoded = sorted((quote(unquote(key), safe="-_.~"), quote(unquote(value), safe="-_.~")) for key, value in pairs)
    return [
        (quote(normalize_url_path(raw_path), safe="/~"), "&".join(map("=".join, pairs))),
        (quote(unquote(raw_path), safe="/~"), "&".join(map("=".join, encoded))),
    ]
