"""IAM enforced in moto: requests signed by a role session are authorized against the role's policies.

``install`` replaces moto's own check (``ActionAuthenticatorMixin._authenticate_and_authorize_*``,
which moto calls for every request, in-process under ``mock_aws`` and in its server alike) with
this one:

- a request signed with the keys of a role session made by moto's STS (the functions' sessions,
  local_stack.iam.credentials, and the sessions they assume) is authorized against that role's
  inline and attached policies (local_stack.iam.policy), for the actions and resources
  local_stack.iam.requests names; context: aws:PrincipalArn, aws:PrincipalAccount,
  aws:SourceIdentity, aws:PrincipalTag/* (session tags), aws:userid, aws:CurrentTime;
- sts:AssumeRole also needs the target role's trust policy to admit the caller (and
  sts:SetSourceIdentity / sts:TagSession when those are passed); the session keeps its
  SourceIdentity and tags, and a SourceIdentity, once set, cannot change down a chain of roles;
- any other access key (test setup, a user's CLI with "testing" keys) acts as the account root
  and is allowed, so the emulator stays usable by hand.

A denial is the service's own AccessDenied error, with AWS's message.
"""

import datetime
import json
import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from unittest import mock

from local_stack.iam.policy import ContextValue, Decision, Principal, Request, allows_by_name, evaluate
from local_stack.iam.requests import Call, Check, checks, session_tags
from local_stack.moto_patches import replace

log = logging.getLogger("local_stack.iam")

_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_JSON_ERRORS = {"sqs": ("AccessDenied", 403)}  # others: AccessDeniedException, HTTP 400


@dataclass
class Session:
    """A role session moto's STS issued, with what AWS keeps about it."""

    session_token: str
    role_arn: str
    session_name: str
    account: str
    expiration: datetime.datetime
    source_identity: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:sts::{self.account}:assumed-role/{self.role_arn.rsplit('/', 1)[-1]}/{self.session_name}"

    def context(self) -> dict[str, ContextValue]:
        now = datetime.datetime.now(datetime.UTC)
        context: dict[str, ContextValue] = {
            "aws:PrincipalArn": self.role_arn,
            "aws:PrincipalAccount": self.account,
            "aws:PrincipalType": "AssumedRole",
            "aws:userid": f"{self.role_arn.rsplit('/', 1)[-1]}:{self.session_name}",
            "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(int(now.timestamp())),
        }
        if self.source_identity is not None:
            context["aws:SourceIdentity"] = self.source_identity
        context.update({f"aws:PrincipalTag/{key}": value for key, value in self.tags.items()})
        return context


class AccessDeniedError(Exception):
    def __init__(self, message: str, code: str = "AccessDenied") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class Enforcement:
    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}
        self._pending = threading.local()  # an AssumeRole's SourceIdentity and tags, until moto makes the session
        self._prune_at = 5000

    # ---------- sessions ----------

    def record_session(self, assumed: Any) -> None:
        pending: tuple[str | None, dict[str, str]] = getattr(self._pending, "value", None) or (None, {})
        self._pending.value = None
        if len(self.sessions) >= self._prune_at:  # every batch assumes the job's role: forget expired sessions
            from moto.core.utils import utcnow

            now = utcnow()
            for access_key, session in list(self.sessions.items()):
                if session.expiration < now:
                    self.sessions.pop(access_key, None)
            self._prune_at = 2 * max(len(self.sessions), 5000)
        self.sessions[assumed.access_key_id] = Session(
            session_token=assumed.session_token, role_arn=assumed.role_arn, session_name=assumed.session_name,
            account=assumed.account_id, expiration=assumed.expiration, source_identity=pending[0], tags=pending[1],
        )

    # ---------- authorization ----------

    def authorize(self, response: Any, bucket: str | None = None, key: str | None = None) -> None:
        headers = response.headers
        scope = _SCOPE.search(headers.get("Authorization", "")) or _SCOPE.search(
            "Credential=" + "".join(response.querystring.get("X-Amz-Credential", [""]))
        )
        session = self.sessions.get(scope.group(1)) if scope else None
        self._pending.value = None
        if session is None or scope is None:  # not a role session: the account root, allowed (module docstring)
            if scope and scope.group(3) == "sts" and response._get_action() == "AssumeRole":
                # unchecked, but its session keeps the SourceIdentity and tags it asked for
                query = response.querystring
                self._pending.value = ((query.get("SourceIdentity") or [None])[0], session_tags(query))
            return
        service, region = scope.group(3), scope.group(2)
        token = headers.get("X-Amz-Security-Token") or "".join(response.querystring.get("X-Amz-Security-Token", [""]))
        self._check_token(session, token)
        operation = _operation(response, service, bucket, key)
        call = Call(
            service=service, operation=operation, region=region, account=response.current_account,
            body=_json_body(response) if service not in ("s3", "sts", "iam", "lambda") else {},
            query={k: list(v) if isinstance(v, list) else [str(v)] for k, v in response.querystring.items()},
            headers=dict(headers.items()),
            bucket=bucket, key=key, method=response.method, path=str(getattr(response, "path", "") or ""),
        )
        found = checks(call)
        if found is None:
            log.warning("IAM: %s:%s by %s is not known to local_stack.iam.requests: denied (add it there)",
                        service, operation, session.arn)
            raise AccessDeniedError(f"User: {session.arn} is not authorized to perform: {service}:{operation} "
                                    "(local_stack.iam.requests does not know this operation)")
        if service == "sts" and operation == "AssumeRole" and session.source_identity is not None:
            found = _carry_source_identity(found, session.source_identity)
        pending = None
        for check in found:
            if check.action == "sts:AssumeRole":
                pending = self._chained_session(session, call, check)
            self._authorize_check(session, check)
        self._pending.value = pending  # only once every check passed: what moto's new session carries

    @staticmethod
    def _check_token(session: Session, token: str) -> None:
        from moto.core.utils import utcnow

        if token != session.session_token:
            raise AccessDeniedError("The security token included in the request is invalid.", "InvalidClientTokenId")
        if session.expiration < utcnow():
            raise AccessDeniedError("The security token included in the request is expired", "ExpiredToken")

    def _authorize_check(self, session: Session, check: Check) -> None:
        context = {**session.context(), **check.context}
        request = Request(check.action, check.resource, context)
        identity = evaluate(role_policies(session.account, session.role_arn), request)
        if check.action.lower().startswith("sts:") and check.action != "sts:GetCallerIdentity":
            self._authorize_trust(session, request, identity)
            return
        if identity is not Decision.ALLOW:
            raise AccessDeniedError(_denied(session, check.action, check.resource, identity))

    def _authorize_trust(self, session: Session, request: Request, identity: Decision) -> None:
        """sts:AssumeRole (and SetSourceIdentity, TagSession): the role's trust policy must admit the caller."""
        trust = trust_policy(request.resource)
        principal = Principal(arn=session.arn, account=session.account, role_arn=session.role_arn)
        as_principal = Request(request.action, request.resource, request.context, principal)
        decision = evaluate([trust], as_principal) if trust else None
        denied = Decision.DENY in (identity, decision)
        same_account = request.resource.split(":")[4:5] == [session.account]
        # In one account a trust statement allowing the caller itself (for this action, under its
        # conditions) is enough; one naming only the account (or another account's role) needs the
        # caller's own policy to allow it too.
        identity_needed = not (same_account and trust and allows_by_name(trust, as_principal))
        if denied or decision is not Decision.ALLOW or (identity_needed and identity is not Decision.ALLOW):
            raise AccessDeniedError(
                f"User: {session.arn} is not authorized to perform: {request.action} on resource: {request.resource}"
            )

    @staticmethod
    def _chained_session(session: Session, call: Call, check: Check) -> tuple[str | None, dict[str, str]]:
        """A SourceIdentity is kept down a chain of roles and cannot change: what the new session carries."""
        requested = check.context.get("sts:SourceIdentity")
        if session.source_identity is not None and requested not in (None, session.source_identity):
            raise AccessDeniedError(f"User: {session.arn} is not authorized to perform: sts:SetSourceIdentity on resource: "
                                    f"{check.resource} (the session's SourceIdentity cannot change)")
        source_identity = str(requested) if requested is not None else session.source_identity
        return source_identity, session_tags(call.query)


def _carry_source_identity(found: list[Check], source_identity: str) -> list[Check]:
    """Role chaining: the session's SourceIdentity goes with the request, and needs sts:SetSourceIdentity."""
    carried = [Check(c.action, c.resource, {"sts:SourceIdentity": source_identity, **c.context}) for c in found]
    if not any(c.action == "sts:SetSourceIdentity" for c in carried):
        assume = next(c for c in carried if c.action == "sts:AssumeRole")
        carried.append(Check("sts:SetSourceIdentity", assume.resource, assume.context))
    return carried


def _operation(response: Any, service: str, bucket: str | None, key: str | None) -> str:
    if service == "s3":  # S3 has no operation name in the request: say what it was
        subresources = ",".join(name for name in response.querystring if name not in ("BucketName", "Action"))
        return f"{response.method} {bucket or ''}{'/' + key if key else ''}{'?' + subresources if subresources else ''}"
    return str(response._get_action() or "")


def _json_body(response: Any) -> Mapping[str, Any]:
    raw = getattr(response, "raw_body", None) or getattr(response, "body", None) or b"{}"
    if isinstance(raw, Mapping):
        return raw
    try:
        body = json.loads(raw)
    except ValueError:
        return {}
    return body if isinstance(body, Mapping) else {}


def _denied(session: Session, action: str, resource: str, decision: Decision) -> str:
    reason = ("with an explicit deny in an identity-based policy" if decision is Decision.DENY
              else f"because no identity-based policy allows the {action} action")
    return f"User: {session.arn} is not authorized to perform: {action} on resource: {resource} {reason}"


def _role(account: str, role_arn: str) -> Any | None:
    from moto.iam.models import iam_backends

    try:
        return iam_backends[account]["aws"].get_role_by_arn(role_arn)
    except Exception:  # noqa: BLE001 - moto's NoSuchEntity: a deleted role has no policies, AWS denies assuming it
        return None


def role_policies(account: str, role_arn: str) -> list[dict[str, Any]]:
    """The role's inline and attached (default version) policies, as documents."""
    role = _role(account, role_arn)
    return _documents([role]) if role is not None else []


def principal_policies(account: str, arn: str) -> list[dict[str, Any]]:
    """A role's or a user's policies (a user's groups' too), for the policy simulator."""
    from moto.iam.models import iam_backends

    if ":role/" in arn:
        return role_policies(account, arn)
    backend = iam_backends[account]["aws"]
    try:
        user = backend.get_user(arn.rsplit("/", 1)[-1])
    except Exception:  # noqa: BLE001 - moto's NoSuchEntity: the simulator then allows nothing
        return []
    return _documents([user, *backend.get_groups_for_user(user.name)])


def _documents(holders: list[Any]) -> list[dict[str, Any]]:
    """The inline and attached (default version) policies of roles, users or groups."""
    documents = [document for holder in holders for document in holder.policies.values()]
    for holder in holders:
        for policy in holder.managed_policies.values():
            documents += [version.document for version in policy.versions if version.is_default]
    return [_parse(document) for document in documents]


def caller_allowed(account: str, arn: str, action: str, resource: str = "*") -> bool:
    """Whether the caller's own policies allow ``action`` on ``resource``: the account root always; an IAM user's
    (and its groups'), a role's, or an assumed-role session's role's policies otherwise."""
    if arn.endswith(":root"):
        return True
    session = re.fullmatch(r"arn:[\w-]+:sts::(\d{12}):assumed-role/([^/]+)/.+", arn)
    if session:
        from moto.iam.models import iam_backends

        roles = [role for role in iam_backends[session.group(1)]["aws"].roles.values() if role.name == session.group(2)]
        arn = roles[0].arn if roles else arn
    return evaluate(principal_policies(account, arn), Request(action, resource)) is Decision.ALLOW


def simulate_principal_policy(account: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """IAM's SimulatePrincipalPolicy (moto has none), answered by local_stack.iam.policy; ``params`` as moto's
    IamResponse parses them from botocore's service model."""
    context: dict[str, ContextValue] = {}
    for entry in params.get("ContextEntries", []):
        values = entry.get("ContextKeyValues", [])
        listed = entry.get("ContextKeyType", "string").endswith("List")
        context[entry["ContextKeyName"]] = values if listed else (values[0] if values else "")
    policies = principal_policies(account, params["PolicySourceArn"])
    verdicts = {Decision.ALLOW: "allowed", Decision.DENY: "explicitDeny", Decision.IMPLICIT_DENY: "implicitDeny"}
    results = [
        {"EvalActionName": action, "EvalResourceName": resource,
         "EvalDecision": verdicts[evaluate(policies, Request(action, resource, context))],
         "MatchedStatements": [], "MissingContextValues": []}
        for action in params.get("ActionNames", []) for resource in (params.get("ResourceArns") or ["*"])
    ]
    return {"EvaluationResults": results, "IsTruncated": False}


def trust_policy(role_arn: str) -> dict[str, Any] | None:
    role = _role(role_arn.split(":")[4] if role_arn.count(":") >= 5 else "", role_arn)
    return _parse(role.assume_role_policy_document) if role is not None else None


@lru_cache(maxsize=1024)
def _parse(document: str) -> dict[str, Any]:
    from urllib.parse import unquote

    text = document if document.lstrip().startswith("{") else unquote(document)
    parsed: dict[str, Any] = json.loads(text)
    return parsed


# ---------- moto hooks ----------


def _error_for(service: str, denial: AccessDeniedError) -> Exception:
    """The service's own error: S3's XML <Error> with 403, STS/IAM's query XML with 403, JSON __type otherwise."""
    from xml.sax.saxutils import escape

    from moto.core.exceptions import JsonRESTError, _RESTError
    from werkzeug.exceptions import HTTPException

    if service == "s3":
        class S3Denied(HTTPException):
            code = 403

            def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
                return [("Content-Type", "application/xml")]

            def get_body(self, *args: Any, **kwargs: Any) -> str:
                return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(denial.code)}</Code>'
                        f"<Message>{escape(denial.message)}</Message></Error>")

        error: Any = S3Denied()
        error.description = error.get_body()
    elif service in ("sts", "iam"):
        error = _RESTError(denial.code, denial.message)
        error.code = 403
    else:
        code, status = _JSON_ERRORS.get(service, ("AccessDeniedException" if denial.code == "AccessDenied" else denial.code, 400))
        error = JsonRESTError(code, denial.message)
        error.code = status
    return error  # type: ignore[no-any-return]


def _service_of(response: Any) -> str:
    scope = _SCOPE.search(response.headers.get("Authorization", ""))
    return scope.group(3) if scope else ""


def install() -> Callable[[], None]:
    """Turn enforcement on in moto (in this process: mock_aws and ThreadedMotoServer). Returns undo."""
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.responses import ActionResult
    from moto.iam.responses import IamResponse
    from moto.sts.models import STSBackend

    enforcement = Enforcement()
    original_assume_role = STSBackend.assume_role

    def normal(self: Any, resource: str = "*") -> None:
        try:
            enforcement.authorize(self)
        except AccessDeniedError as denial:
            raise _error_for(_service_of(self), denial) from None

    def s3(self: Any, bucket_name: str | None = None, key_name: str | None = None) -> None:
        try:
            enforcement.authorize(self, bucket_name, key_name)
        except AccessDeniedError as denial:
            raise _error_for("s3", denial) from None

    def assume_role(self: Any, *args: Any, **kwargs: Any) -> Any:
        assumed = original_assume_role(self, *args, **kwargs)
        enforcement.record_session(assumed)
        return assumed

    def simulate(self: Any) -> Any:
        return ActionResult(simulate_principal_policy(self.current_account, self.params))

    undo = replace((ActionAuthenticatorMixin, "_authenticate_and_authorize_normal_action", normal),
                   (ActionAuthenticatorMixin, "_authenticate_and_authorize_s3_action", s3),
                   (STSBackend, "assume_role", assume_role))
    undo.enter_context(mock.patch.object(IamResponse, "simulate_principal_policy", simulate, create=True))  # moto has none
    return undo.close
