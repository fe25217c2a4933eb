"""EventBridge's pattern matching, locally: EventBridge's documented examples (its "Content
filtering" and "Comparison operators" pages) against local_stack.event_patterns, which is moto's
own matcher with the two cases moto gets wrong fixed (the last test shows moto still has them)."""

import json
from typing import Any

import pytest
from moto.events.models import EventPattern as MotoEventPattern

from local_stack.event_patterns import EventPattern

EVENT: dict[str, Any] = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-10-02T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {
        "instance-id": "i-1234567890abcdef0",
        "state": "initializing",
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "FileName": "photo.png",
        "FilePath": "/usr/lib/libz.so",
        "service": "EventBridge",
        "sourceIPAddress": "10.0.0.255",
        "EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/myBus",
        "LastName": "",
        "UserID": None,
        "tags": ["blue", "green"],
        "items": [{"id": 1, "kind": "a"}, {"id": 2, "kind": "b"}],
        "nested": {"deep": {"flag": True}},
    },
}

CASES = [
    # prefix, and prefix ignoring case
    ("prefix", {"time": [{"prefix": "2017-10-02"}]}, True),
    ("prefix, no match", {"time": [{"prefix": "2017-10-03"}]}, False),
    ("prefix equals-ignore-case", {"detail": {"service": [{"prefix": {"equals-ignore-case": "eventb"}}]}}, True),
    # suffix, and suffix ignoring case
    ("suffix", {"detail": {"FileName": [{"suffix": ".png"}]}}, True),
    ("suffix equals-ignore-case", {"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".PNG"}}]}}, True),
    # anything-but: a string, a list of strings, numbers, prefix, suffix, ignoring case, wildcard
    ("anything-but string", {"detail": {"state": [{"anything-but": "initializing"}]}}, False),
    ("anything-but list", {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}, True),
    ("anything-but numbers", {"detail": {"c-count": [{"anything-but": [100, 200, 5]}]}}, False),
    ("anything-but prefix", {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}, False),
    ("anything-but suffix", {"detail": {"FileName": [{"anything-but": {"suffix": ".txt"}}]}}, True),
    ("anything-but ignore case", {"detail": {"state": [{"anything-but": {"equals-ignore-case": ["INITIALIZING"]}}]}}, False),
    ("anything-but wildcard", {"detail": {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}}, False),
    # numeric
    ("numeric ranges", {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}],
                                   "x-limit": [{"numeric": ["=", 3.018e2]}]}}, True),
    ("numeric, out of range", {"detail": {"c-count": [{"numeric": [">", 5]}]}}, False),
    ("numeric on a string", {"detail": {"state": [{"numeric": [">", 0]}]}}, False),
    # IP address
    ("cidr", {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}}, True),
    # exists (leaf nodes only)
    ("exists true", {"detail": {"state": [{"exists": True}]}}, True),
    ("exists false on a missing field", {"detail": {"missing": [{"exists": False}]}}, True),
    ("exists false on a present field", {"detail": {"state": [{"exists": False}]}}, False),
    ("exists on an intermediate node", {"detail": {"nested": {"deep": [{"exists": True}]}}}, False),
    # equals-ignore-case, wildcard
    ("equals-ignore-case", {"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]}, True),
    ("wildcard", {"detail": {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}}, True),
    ("wildcard, no match", {"detail": {"EventBusArn": [{"wildcard": "arn:aws:events:eu-*"}]}}, False),
    # $or
    ("$or, one branch matches",
     {"detail": {"$or": [{"c-count": [{"numeric": [">", 10]}]}, {"d-count": [{"numeric": ["<", 10]}]}]}}, True),
    ("$or, no branch matches",
     {"detail": {"$or": [{"c-count": [{"numeric": [">", 10]}]}, {"d-count": [{"numeric": [">", 10]}]}]}}, False),
    # values that are arrays: the intersection must not be empty
    ("array value", {"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"]}, True),
    ("array of strings", {"detail": {"tags": ["green", "red"]}}, True),
    ("array of objects", {"detail": {"items": {"id": [2]}}}, True),
    ("array of objects, no match", {"detail": {"items": {"kind": ["c"]}}}, False),
    # empty strings and null; nesting; several values for one field; several fields (and)
    ("empty string", {"detail": {"LastName": [""]}}, True),
    ("null", {"detail": {"UserID": [None]}}, True),
    ("null does not match a missing field", {"detail": {"missing": [None]}}, False),
    ("nested", {"detail": {"nested": {"deep": {"flag": [True]}}}}, True),
    ("a number equals its float", {"detail": {"c-count": [5.0]}}, True),
    ("a number is not its string", {"detail": {"c-count": ["5"]}}, False),
    ("true is not 1", {"detail": {"nested": {"deep": {"flag": [1]}}}}, False),
    ("true is not a number", {"detail": {"nested": {"deep": {"flag": [{"numeric": [">", 0]}]}}}}, False),
    ("a value or a prefix", {"detail": {"state": ["running", {"prefix": "init"}]}}, True),
    ("every field must match", {"source": ["aws.ec2"], "detail": {"state": ["running"]}}, False),
    ("the stop-request rule", {"detail-type": ["StopTextTranslationJob Request"]}, False),
]


@pytest.mark.parametrize(("pattern", "matches"), [(p, m) for _, p, m in CASES], ids=[name for name, _, _ in CASES])
def test_documented_patterns_match_as_eventbridge_does(pattern: dict[str, Any], matches: bool) -> None:
    assert EventPattern.load(json.dumps(pattern)).matches_event(EVENT) is matches


def test_moto_alone_still_gets_arrays_of_objects_and_booleans_wrong() -> None:
    """Why local_stack.event_patterns exists; when moto fixes these, this fails and the fix can go."""
    def moto(pattern: dict[str, Any]) -> bool:
        return bool(MotoEventPattern.load(json.dumps(pattern)).matches_event(EVENT))

    assert moto({"detail": {"items": {"id": [2]}}}) is False
    assert moto({"detail": {"nested": {"deep": {"flag": [1]}}}}) is True
