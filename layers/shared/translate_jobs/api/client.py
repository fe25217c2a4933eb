"""A boto3 Translate client for the deployed API.

The deployed HTTP API uses IAM authorization, which verifies SigV4 signatures made for the
``execute-api`` service, while the Translate model signs for ``translate``. This re-signs every
request for ``execute-api``; nothing else about the client changes.
"""

from typing import Any

import boto3


def sign_for_api_gateway(client: Any) -> Any:
    def use_execute_api(request: Any, **_: Any) -> None:
        request.context.setdefault("signing", {})["signing_name"] = "execute-api"

    client.meta.events.register("before-sign.translate", use_execute_api)
    return client


def translate_client(endpoint_url: str, **kwargs: Any) -> Any:
    """``boto3.client("translate", endpoint_url=...)`` that the deployed API accepts."""
    return sign_for_api_gateway(boto3.client("translate", endpoint_url=endpoint_url, **kwargs))
