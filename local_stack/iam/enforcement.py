"""IAM enforced in moto: a request signed by a role session is authorized against the role's policies.

``install`` replaces moto's own check (``ActionAuthenticatorMixin._authenticate_and_authorize_*``, called for every
request, under ``mock_aws`` and in moto's server alike):

- a role session made by moto's STS (the functions' sessions, local_stack.iam.credentials, and those they assume)
  is authorized against its role's inline and attached policies (local_stack.iam.policy) for what
  local_stack.iam.requests names; context: aws:PrincipalArn, aws:PrincipalAccount, aws:SourceIdentity,
  aws:PrincipalTag/* (session tags), aws:userid, aws:CurrentTime;
- sts:AssumeRole also needs the target role's trust policy to admit the caller (and sts:SetSourceIdentity /
  sts:TagSession when those are passed); a SourceIdentity, once set, cannot change down a chain of roles;
- any other access key (test setup, a CLI with "testing" keys) is the account root, allowed, so the emulator stays
  usable by hand.

A denial is the service's own AccessDenied error, with AWS's message.
"""

import datetime
import json
import logging
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any
from unittest import mock

from local_stack.errors import aws_error
from local_stack.iam.credentials import parse_policy, trust_policy
from local_stack.iam.policy import ContextValue, Decision, Principal, Request, allows_by_name, evaluate
from local_stack.iam.requests import Call, Check, checks, session_tags
from local_stack.moto_patches import replace

log = logging.getLogger("local_stack.iam")

_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_ASSUMED_ROLE = re.compile(r"arn:[\w-]+:sts::\d{12}:assumed-role/([^/]+)/.+")  # a session: its role
_JSON_ERRORS = {"sqs": ("AccessDenied", 403)}  # others: AccessDeniedException, HTTP 400


def _context(session: Any) -> dict[str, ContextValue]:
    """A role session's context keys: ``session`` is moto's AssumedRole, which keeps the SourceIdentity and tags
    the session was made with as ``source_identity`` and ``tags`` (Enforcement.record_session)."""
    now = datetime.datetime.now(datetime.UTC)
    context: dict[str, ContextValue] = {
        "aws:PrincipalArn": session.role_arn,
        "aws:PrincipalAccount": session.account_id,
        "aws:PrincipalType": "AssumedRole",
        "aws:userid": f"{session.role_arn.rsplit('/', 1)[-1]}:{session.session_name}",
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
    }
    if session.source_identity is not None:
        context["aws:SourceIdentity"] = session.source_identity
    context.update({f"aws:PrincipalTag/{key}": value for key, value in session.tags.items()})
    return context


class AccessDeniedError(Exception):
    def __init__(self, message: str, code: str = "AccessDenied") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class Enforcement:
    def __init__(self) -> None:
        self.sessions: dict[str, Any] = {}  # access key -> moto's AssumedRole
        self._pending = threading.local()  # an AssumeRole's SourceIdentity and tags, until moto makes the session
        self._prune_at = 5000

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
        assumed.source_identity, assumed.tags = pending
        self.sessions[assumed.access_key_id] = assumed

    def authorize(self, response: Any, bucket: str | None = None, key: str | None = None) -> None:
        headers, query = response.headers, response.querystring
        scope = _SCOPE.search(headers.get("Authorization", "")) or _SCOPE.search(
            "Credential=" + "".join(query.get("X-Amz-Credential", [""])))
        session = self.sessions.get(scope.group(1)) if scope else None
        self._pending.value = None
        if session is None or scope is None:  # not a role session: the account root, allowed (module docstring)
            if scope and scope.group(3) == "sts" and response._get_action() == "AssumeRole":
                # unchecked, but its session keeps the SourceIdentity and tags it asked for
                self._pending.value = ((query.get("SourceIdentity") or [None])[0], session_tags(query))
            return
        service = scope.group(3)
        call = Call(
            service=service, operation=_operation(response, service, bucket, key), region=scope.group(2),
            account=response.current_account,
            body=_json_body(response) if service not in ("s3", "sts", "iam", "lambda") else {},
            query={k: list(v) if isinstance(v, list) else [str(v)] for k, v in query.items()},
            headers=dict(headers.items()),
            bucket=bucket, key=key, method=response.method, path=str(getattr(response, "path", "") or ""),
        )
        token = headers.get("X-Amz-Security-Token") or "".join(query.get("X-Amz-Security-Token", [""]))
        try:
            self._pending.value = _authorize_call(session, token, call)  # what moto's new session carries, if any
        except AccessDeniedError as denial:
            raise _error_for(service, denial) from None


def _authorize_call(session: Any, token: str, call: Call) -> tuple[str | None, dict[str, str]] | None:
    from moto.core.utils import utcnow

    if token != session.session_token:
        raise AccessDeniedError("The security token included in the request is invalid.", "InvalidClientTokenId")
    if session.expiration < utcnow():
        raise AccessDeniedError("The security token included in the request is expired", "ExpiredToken")
    found = checks(call)
    if found is None:
        log.warning("IAM: %s:%s by %s is not known to local_stack.iam.requests: denied (add it there)",
                    call.service, call.operation, session.arn)
        raise AccessDeniedError(f"User: {session.arn} is not authorized to perform: {call.service}:{call.operation} "
                                "(local_stack.iam.requests does not know this operation)")
    pending = None
    if call.service == "sts" and call.operation == "AssumeRole":
        found, pending = _chained(session, call, found)
    for check in found:
        _authorize_check(session, check)
    return pending  # only once every check passed


def _chained(session: Any, call: Call, found: list[Check]) -> tuple[list[Check], tuple[str | None, dict[str, str]]]:
    """sts:AssumeRole: a SourceIdentity is kept down a chain of roles and cannot change; the session's goes with the
    request, and needs sts:SetSourceIdentity. Returns the checks, and the SourceIdentity and tags the new session carries."""
    assume = found[0]  # requests: sts:AssumeRole comes first
    requested = assume.context.get("sts:SourceIdentity")
    if session.source_identity is not None:
        if requested not in (None, session.source_identity):
            raise AccessDeniedError(f"User: {session.arn} is not authorized to perform: sts:SetSourceIdentity on resource: "
                                    f"{assume.resource} (the session's SourceIdentity cannot change)")
        found = [Check(c.action, c.resource, {"sts:SourceIdentity": session.source_identity, **c.context}) for c in found]
        if requested is None:
            found.append(Check("sts:SetSourceIdentity", assume.resource, found[0].context))
    return found, (str(requested) if requested is not None else session.source_identity, session_tags(call.query))


def _authorize_check(session: Any, check: Check) -> None:
    context = {**_context(session), **check.context}
    request = Request(check.action, check.resource, context)
    identity = evaluate(principal_policies(session.account_id, session.role_arn), request)
    if check.action.lower().startswith("sts:") and check.action != "sts:GetCallerIdentity":
        _authorize_trust(session, request, identity)
    elif identity is not Decision.ALLOW:
        reason = ("with an explicit deny in an identity-based policy" if identity is Decision.DENY
                  else f"because no identity-based policy allows the {check.action} action")
        raise AccessDeniedError(f"User: {session.arn} is not authorized to perform: {check.action} on resource: "
                                f"{check.resource} {reason}")


def _authorize_trust(session: Any, request: Request, identity: Decision) -> None:
    """sts:AssumeRole (and SetSourceIdentity, TagSession): the role's trust policy must admit the caller."""
    trust = trust_policy(request.resource)
    principal = Principal(arn=session.arn, account=session.account_id, role_arn=session.role_arn)
    as_principal = Request(request.action, request.resource, request.context, principal)
    decision = evaluate([trust], as_principal) if trust else None
    denied = Decision.DENY in (identity, decision)
    same_account = request.resource.split(":")[4:5] == [session.account_id]
    # In one account a trust statement allowing the caller itself (for this action, under its
    # conditions) is enough; one naming only the account (or another account's role) needs the
    # caller's own policy to allow it too.
    identity_needed = not (same_account and trust and allows_by_name(trust, as_principal))
    if denied or decision is not Decision.ALLOW or (identity_needed and identity is not Decision.ALLOW):
        raise AccessDeniedError(
            f"User: {session.arn} is not authorized to perform: {request.action} on resource: {request.resource}"
        )


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


def principal_policies(account: str, arn: str) -> list[dict[str, Any]]:
    """The inline and attached (default version) policies of a role, an assumed-role session's role, or a user and
    its groups; none for a principal moto does not know (a deleted role: AWS denies what it asked)."""
    from moto.iam.models import iam_backends

    backend = iam_backends[account]["aws"]
    session = _ASSUMED_ROLE.fullmatch(arn)
    holders: list[Any]
    try:
        if session or ":role/" in arn:
            holders = [backend.get_role(session.group(1)) if session else backend.get_role_by_arn(arn)]
        else:
            user = backend.get_user(arn.rsplit("/", 1)[-1])
            holders = [user, *backend.get_groups_for_user(user.name)]
    except Exception:  # noqa: BLE001 - moto's NoSuchEntity
        return []
    documents = [document for holder in holders for document in holder.policies.values()]
    for holder in holders:
        for policy in holder.managed_policies.values():
            documents += [version.document for version in policy.versions if version.is_default]
    return [parse_policy(document) for document in documents]


def caller_allowed(account: str, arn: str, action: str, resource: str = "*") -> bool:
    """Whether the caller's own policies allow ``action`` on ``resource`` (the account root: always)."""
    return arn.endswith(":root") or evaluate(principal_policies(account, arn), Request(action, resource)) is Decision.ALLOW


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


# ---------- moto hooks ----------


def _error_for(service: str, denial: AccessDeniedError) -> Exception:
    """The service's own: its XML with 403 for S3, STS and IAM, SQS's AccessDenied with 403, else AccessDeniedException
    with HTTP 400."""
    if service in ("s3", "sts", "iam"):
        return aws_error(service, denial.code, 403, denial.message)
    code, status = _JSON_ERRORS.get(service, ("AccessDeniedException" if denial.code == "AccessDenied" else denial.code, 400))
    return aws_error(service, code, status, denial.message)


def install() -> Callable[[], None]:
    """Turn enforcement on in moto (in this process: mock_aws and ThreadedMotoServer). Returns undo."""
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.responses import ActionResult
    from moto.iam.responses import IamResponse
    from moto.sts.models import STSBackend

    enforcement = Enforcement()
    original_assume_role = STSBackend.assume_role

    # For every request but S3's (its resource: moto's guess, unused) and for S3's, which passes bucket and key by name.
    def authorize(self: Any, *_: Any, bucket_name: str | None = None, key_name: str | None = None) -> None:
        enforcement.authorize(self, bucket_name, key_name)

    def assume_role(self: Any, *args: Any, **kwargs: Any) -> Any:
        assumed = original_assume_role(self, *args, **kwargs)
        enforcement.record_session(assumed)
        return assumed

    def simulate(self: Any) -> Any:
        return ActionResult(simulate_principal_policy(self.current_account, self.params))

    undo = replace((ActionAuthenticatorMixin, "_authenticate_and_authorize_normal_action", authorize),
                   (ActionAuthenticatorMixin, "_authenticate_and_authorize_s3_action", authorize),
                   (STSBackend, "assume_role", assume_role))
    undo.enter_context(mock.patch.object(IamResponse, "simulate_principal_policy", simulate, create=True))  # moto has none
    return undo.close
