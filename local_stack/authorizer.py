"""The HTTP API's IAM authorizer (``DefaultAuthorizer: AWS_IAM``), locally.

A request must carry a valid SigV4 signature, as API Gateway requires before it invokes anything;
refusals are API Gateway's: 403 with ``x-amzn-ErrorType`` and ``{"message": ...}`` (plus ``__type``,
which botocore reads the same way). Locally:

- the secret key of an access key the emulator issued (IAM users, STS sessions) is the emulator's;
  any other access key signs with the secret key ``testing`` (LOCAL_SECRET_KEY);
- the caller's account is the issuing account for the emulator's keys; otherwise an access key id of
  12 digits is that account (the convention of other AWS emulators), anything else the default
  account. Two access keys with different accounts are two tenants.
- the signing name is ``translate`` (the Translate SDKs) or ``execute-api`` (API Gateway's own);
  the scope's region must be the stack's, and the request's date within 15 minutes of now.
"""

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote

from botocore.utils import normalize_url_path

LOCAL_SECRET_KEY = "testing"
SIGNING_NAMES = ("translate", "execute-api")
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


class AuthorizationError(Exception):
    """A refusal, as API Gateway words it (status 403)."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


# access key id -> (secret access key, account id), or None for keys the emulator did not issue.
SecretLookup = Callable[[str], tuple[str, str] | None]


def emulator_credentials(access_key_id: str) -> tuple[str, str] | None:
    """The secret and account of an access key moto issued in this process (IAM user keys, STS sessions)."""
    try:
        from moto.iam.models import iam_backends
        from moto.sts.models import sts_backends
    except ImportError:  # pragma: no cover - moto is always there locally
        return None
    for account_id in list(iam_backends):
        for backend in list(iam_backends[account_id].values()):
            user = backend.get_user_from_access_key_id(access_key_id)
            if user is None:
                continue
            for key in user.access_keys:
                if key.access_key_id == access_key_id:
                    return key.secret_access_key, user.account_id
    for account_id in list(sts_backends):
        for sts in list(sts_backends[account_id].values()):
            role = sts.get_assumed_role_from_access_key(access_key_id)
            if role:
                return role.secret_access_key, role.account_id
    return None


def account_for(access_key_id: str, default_account: str) -> str:
    return access_key_id if re.fullmatch(r"\d{12}", access_key_id) else default_account


def authenticate(
    method: str, raw_path: str, query: str, headers: dict[str, str], body: bytes, *,
    region: str, default_account: str, now: datetime | None = None,
    lookup: SecretLookup = emulator_credentials,
) -> Caller:
    """The caller of a SigV4-signed request, or AuthorizationError. ``headers`` have lower-case names."""
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
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not scope[0]:
        raise AuthorizationError(
            "IncompleteSignatureException",
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.",
        )
    access_key, scope_date, scope_region, service, _ = scope
    if service not in SIGNING_NAMES:
        raise AuthorizationError(
            "InvalidSignatureException", f"Credential should be scoped to correct service: '{SIGNING_NAMES[1]}'."
        )
    if scope_region != region:
        raise AuthorizationError(
            "InvalidSignatureException", f"Credential should be scoped to a valid region, not '{scope_region[:40]}'."
        )
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
    current = now or datetime.now(UTC)
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
    signed_headers = fields["SignedHeaders"].lower().split(";")
    if "host" not in signed_headers or any(name not in headers for name in signed_headers):
        raise AuthorizationError("InvalidSignatureException", MISMATCH)
    issued = lookup(access_key)
    secret, account_id = issued if issued else (LOCAL_SECRET_KEY, account_for(access_key, default_account))
    signing_key = _signing_key(secret, scope_date, scope_region, service)
    credential_scope = "/".join(scope[1:])
    canonical_headers = "".join(f"{name}:{' '.join(headers[name].split())}\n" for name in signed_headers)
    payload_hash = headers.get("x-amz-content-sha256") if "x-amz-content-sha256" in signed_headers else None
    payload_hash = payload_hash or hashlib.sha256(body).hexdigest()
    for path, canonical_query in _canonical_forms(raw_path, query):
        canonical_request = "\n".join(
            [method, path, canonical_query, canonical_headers, ";".join(signed_headers), payload_hash]
        )
        string_to_sign = "\n".join(
            [ALGORITHM, amz_date, credential_scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
        )
        expected = hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, fields["Signature"].lower()):
            return Caller(access_key, account_id, f"arn:aws:iam::{account_id}:root")
    raise AuthorizationError("InvalidSignatureException", MISMATCH)


def _canonical_forms(raw_path: str, query: str) -> list[tuple[str, str]]:
    """The path and query as signers canonicalize them: botocore double-encodes the path it sent and
    sorts the query as sent; the SigV4 specification's form decodes, then encodes, each once."""
    as_sent = "&".join(f"{key}={value}" for key, value in sorted(pair.partition("=")[::2] for pair in query.split("&") if query))
    decoded_pairs = [pair.partition("=")[::2] for pair in query.split("&")] if query else []
    encoded = sorted((quote(unquote(key), safe="-_.~"), quote(unquote(value), safe="-_.~")) for key, value in decoded_pairs)
    normalized_query = "&".join(f"{key}={value}" for key, value in encoded)
    return [
        (quote(normalize_url_path(raw_path), safe="/~"), as_sent),
        (quote(unquote(raw_path), safe="/~"), normalized_query),
    ]


def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key
