"""AWS's error answer, in the protocol of the service that gives it: the one place the emulator builds them
(local IAM's denials, injected faults, a change refused while the state is saved). A moto exception: raised inside
moto, moto answers it; outside, its ``get_body`` and ``get_headers`` are the answer."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from moto.core.exceptions import _RESTError


def aws_error(service: str, code: str, status: int, message: str) -> "_RESTError":
    """S3's bare <Error>, STS's and IAM's <ErrorResponse> (XML), the other services' JSON with ``__type``."""
    from moto.core.exceptions import JsonRESTError, _RESTError
    from xmltodict import unparse

    error = (_RESTError if service in ("s3", "sts", "iam") else JsonRESTError)(code, message)
    error.code = status
    if service == "s3":
        error.description = unparse({"Error": {"Code": code, "Message": message}}, full_document=True)
    return error
