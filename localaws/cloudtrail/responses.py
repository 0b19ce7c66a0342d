"""CloudTrail LookupEvents, which moto 5.2 lacks, over the authorization layer's trail (localaws.authorization.trail).

Events are the caller's account's records, newest first, filtered by one lookup attribute and a time range, 50 to a
page at most, as AWS answers them; each carries the whole record as the `CloudTrailEvent` JSON string.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from moto.cloudtrail.responses import CloudTrailResponse
from moto.core.exceptions import JsonRESTError

from localaws.authorization import trail
from localaws.middleware import on_reset

MAX_RESULTS = 50
_ATTRIBUTES = {
    "EventId": lambda e: [e.get("eventID")],
    "EventName": lambda e: [e.get("eventName")],
    "ReadOnly": lambda e: [str(e.get("readOnly")).lower()],
    "Username": lambda e: [_username(e)],
    "ResourceType": lambda e: [r.get("type") for r in e.get("resources", [])],
    "ResourceName": lambda e: [r.get("ARN") for r in e.get("resources", [])],
    "EventSource": lambda e: [e.get("eventSource")],
    "AccessKeyId": lambda e: [e.get("userIdentity", {}).get("accessKeyId")],
}


class _Invalid(JsonRESTError):
    code = 400


def install() -> None:
    CloudTrailResponse.lookup_events = _lookup_events


@on_reset
def _forget() -> None:
    trail.clear()


def _username(event: dict[str, Any]) -> str | None:
    identity = event.get("userIdentity", {})
    if identity.get("type") == "AssumedRole":
        return identity.get("arn", "").rsplit("/", 1)[-1]
    return identity.get("userName")


def _time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, int | float) or str(value).replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(value), UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _event_time(event: dict[str, Any]) -> datetime:
    return datetime.strptime(event["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _lookup_events(self: CloudTrailResponse) -> str:
    attributes = self._get_param("LookupAttributes") or []
    if len(attributes) > 1:
        raise _Invalid("InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.")
    for attribute in attributes:
        if attribute.get("AttributeKey") not in _ATTRIBUTES:
            raise _Invalid("InvalidLookupAttributesException",
                           f"Invalid lookup attribute key: {attribute.get('AttributeKey')}")
    max_results = int(self._get_param("MaxResults") or MAX_RESULTS)
    if not 1 <= max_results <= MAX_RESULTS:
        raise _Invalid("InvalidMaxResultsException", f"MaxResults must be between 1 and {MAX_RESULTS}.")
    start, end = _time(self._get_param("StartTime")), _time(self._get_param("EndTime"))
    if start and end and start > end:
        raise _Invalid("InvalidTimeRangeException", "Start time must be before end time.")
    found = []
    for event in reversed(trail.events(self.current_account)):
        when = _event_time(event)
        if (start and when < start) or (end and when > end):
            continue
        if any(a["AttributeValue"] not in _ATTRIBUTES[a["AttributeKey"]](event) for a in attributes):
            continue
        found.append(event)
    token = self._get_param("NextToken")
    offset = int(token) if token and str(token).isdigit() else 0
    if token and not str(token).isdigit():
        raise _Invalid("InvalidNextTokenException", "Invalid NextToken.")
    page = found[offset:offset + max_results]
    answer: dict[str, Any] = {"Events": [{
        "EventId": e["eventID"], "EventName": e["eventName"], "ReadOnly": str(e.get("readOnly")).lower(),
        "AccessKeyId": e.get("userIdentity", {}).get("accessKeyId"), "EventTime": _event_time(e).timestamp(),
        "EventSource": e["eventSource"], "Username": _username(e),
        "Resources": [{"ResourceType": r.get("type"), "ResourceName": r.get("ARN")} for r in e.get("resources", [])],
        "CloudTrailEvent": json.dumps(e),
    } for e in page]}
    if offset + max_results < len(found):
        answer["NextToken"] = str(offset + max_results)
    return json.dumps(answer)
