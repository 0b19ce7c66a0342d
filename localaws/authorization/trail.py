"""A CloudTrail-shaped record of every authorization decision, per account, as JSON lines on disk.

Each decision is one CloudTrail event record (eventTime, eventSource, eventName, userIdentity, sourceIPAddress,
errorCode/errorMessage, resources, ...), appended to `<state dir>/trail/<account>.jsonl` of the caller's account
and, for a cross-account call, of the resource's account too (CloudTrail delivers it to both). What the
authorization layer decided is in `additionalEventData` (mode, decision, the checks), so soft mode's would-be
denials are there with `"authorizationDecision": "WouldDeny"`. `cloudtrail lookup-events` reads it
(localaws/cloudtrail/responses.py).
"""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

EVENT_VERSION = "1.08"
FOLDER = "trail"

_lock = threading.Lock()
_state: dict[str, Path] = {}
_streams: dict[str, TextIO] = {}  # the open trail file of each account


def configure(state_dir: Path) -> None:
    with _lock:
        _close_streams()
        _state["folder"] = Path(state_dir) / FOLDER


def folder() -> Path | None:
    return _state.get("folder")


def record(event: dict[str, Any], accounts: Iterator[str] | list[str]) -> None:
    """Append `event` to the trail of each of `accounts` (no-op before `configure`)."""
    target = folder()
    if target is None:
        return
    line = json.dumps(event, separators=(",", ":"), default=str) + "\n"
    with _lock:
        for account in dict.fromkeys(a for a in accounts if a):
            stream = _streams.get(account)
            if stream is None or stream.closed:
                target.mkdir(parents=True, exist_ok=True)
                # Kept open (opening a file on every call costs more than the decision): written through at once.
                stream = _streams[account] = (target / f"{account}.jsonl").open("a", buffering=1)
            stream.write(line)


def events(account: str) -> list[dict[str, Any]]:
    """Every event recorded for `account`, oldest first."""
    target = folder()
    path = None if target is None else target / f"{account}.jsonl"
    if path is None or not path.exists():
        return []
    with _lock:
        lines = path.read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def clear() -> None:
    target = folder()
    if target is not None:
        with _lock:
            _close_streams()
            shutil.rmtree(target, ignore_errors=True)


def _close_streams() -> None:
    for stream in _streams.values():
        stream.close()
    _streams.clear()


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def user_identity(principal: Any, access_key_id: str | None) -> dict[str, Any]:
    """CloudTrail's userIdentity of a principal (identities.Principal)."""
    if principal.kind == "anonymous":
        return {"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"}
    if principal.kind == "service":
        return {"type": "AWSService", "invokedBy": principal.arn}
    identity: dict[str, Any] = {"principalId": principal.user_id, "arn": principal.arn,
                                "accountId": principal.account, "accessKeyId": access_key_id or ""}
    if principal.kind == "assumed-role":
        role_name = principal.role_arn.rsplit("/", 1)[-1]
        identity.update(type="AssumedRole", sessionContext={"sessionIssuer": {
            "type": "Role", "principalId": principal.user_id.split(":", 1)[0], "arn": principal.role_arn,
            "accountId": principal.account, "userName": role_name}})
    elif principal.kind == "root":
        identity.update(type="Root")
    else:
        identity.update(type="IAMUser", userName=principal.user_name)
    return identity


def new_event(*, event_source: str, event_name: str, region: str, source_ip: str, user_agent: str,
              identity: dict[str, Any], recipient_account: str, resources: list[dict[str, str]],
              error_code: str | None, error_message: str | None, read_only: bool,
              additional: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventVersion": EVENT_VERSION, "userIdentity": identity, "eventTime": now(), "eventSource": event_source,
        "eventName": event_name, "awsRegion": region, "sourceIPAddress": source_ip, "userAgent": user_agent,
    }
    if error_code:
        event.update(errorCode=error_code, errorMessage=error_message)
    event.update(requestID=str(uuid.uuid4()), eventID=str(uuid.uuid4()), readOnly=read_only, resources=resources,
                 eventType="AwsApiCall", managementEvent=True, recipientAccountId=recipient_account,
                 additionalEventData=additional)
    return event
