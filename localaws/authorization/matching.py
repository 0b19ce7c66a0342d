"""Matching of actions, ARNs and policy strings, with IAM's wildcards and policy variables.

The rules come from the IAM User Guide:
- "IAM JSON policy elements: Action": the service prefix and the action name are case-insensitive; `*` may stand
  for all actions or part of a name.
- "IAM JSON policy elements: Resource": `*` and `?` work within each colon-separated ARN segment; `*` can expand
  over a `/` inside a segment but never over a `:` between the first six segments.
- "Condition operators" (ARN operators): each of the six colon-delimited components is checked separately.
- "IAM policy elements: Variables and tags": `${key}` is replaced by a single-valued request context key
  (key names are case-insensitive), `${key, 'default'}` falls back to the default, `${*}`, `${?}` and `${$}` are
  the literal characters, a variable with no value makes that policy string match nothing, and variables are
  only substituted when the policy's Version is 2012-10-17 (older versions keep them as literal text). In a
  Resource element they are honoured only in the resource part of the ARN (after the fifth colon).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

# How a policy variable is looked up: the single value of a context key, or None when the request has none.
VariableLookup = Callable[[str], str | None]

_VARIABLE_BODY = re.compile(r"^\s*([^,\s]+)\s*(?:,\s*'([^']*)'\s*)?$")
_SPECIAL_VARIABLES = {"*": "*", "?": "?", "$": "$"}


class Wildcard(Enum):
    """A wildcard position in a policy string (as opposed to a literal `*` or `?` produced by `${*}`/`${?}`)."""

    ANY = "*"
    ONE = "?"


Part = str | Wildcard


@dataclass(frozen=True)
class Pattern:
    """A policy string after variable substitution: literal text and wildcard positions kept apart.

    Keeping them apart is what lets `${*}` mean a literal asterisk while a bare `*` is a wildcard, and lets the
    same value be compared exactly (StringEquals: wildcards are plain characters) or as a pattern (StringLike).
    """

    parts: tuple[Part, ...]

    def text(self) -> str:
        """The string with wildcards written as their characters (how equality operators see it)."""
        return "".join(p.value if isinstance(p, Wildcard) else p for p in self.parts)

    def matches(self, value: str, *, ignore_case: bool = False) -> bool:
        """Whether `value` matches, `*` standing for any run of characters and `?` for exactly one."""
        return _compile(self.parts, ignore_case).fullmatch(value) is not None


def _compile(parts: tuple[Part, ...], ignore_case: bool) -> re.Pattern[str]:
    pieces = []
    for part in parts:
        if part is Wildcard.ANY:
            pieces.append(".*")
        elif part is Wildcard.ONE:
            pieces.append(".")
        else:
            pieces.append(re.escape(part))
    return re.compile("".join(pieces), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _literal_parts(text: str) -> list[Part]:
    """Split plain policy text into literal runs and wildcards."""
    parts: list[Part] = []
    run: list[str] = []
    for char in text:
        if char in "*?":
            if run:
                parts.append("".join(run))
                run = []
            parts.append(Wildcard.ANY if char == "*" else Wildcard.ONE)
        else:
            run.append(char)
    if run:
        parts.append("".join(run))
    return parts


def has_variables(text: str) -> bool:
    """Whether a policy string contains `${...}` (used to skip format validation of such values)."""
    return "${" in text


def resolve(text: str, lookup: VariableLookup | None) -> Pattern | None:
    """Resolve the policy variables of `text` into a Pattern; None when a variable has no value and no default.

    `lookup` None means variables are not in effect (policy Version other than 2012-10-17): the text is literal.
    """
    if lookup is None or "${" not in text:
        return Pattern(tuple(_literal_parts(text)))
    parts: list[Part] = []
    position = 0
    while position < len(text):
        start = text.find("${", position)
        end = text.find("}", start + 2) if start >= 0 else -1
        if start < 0 or end < 0:
            parts.extend(_literal_parts(text[position:]))
            break
        parts.extend(_literal_parts(text[position:start]))
        body = text[start + 2 : end]
        if body in _SPECIAL_VARIABLES:
            parts.append(_SPECIAL_VARIABLES[body])
        else:
            syntax = _VARIABLE_BODY.match(body)
            if syntax is None:
                # Not variable syntax: AWS would reject the policy; matching it literally is the safe reading.
                parts.extend(_literal_parts(text[start : end + 1]))
            else:
                value = lookup(syntax.group(1))
                if value is None:
                    value = syntax.group(2)
                if value is None:
                    return None
                parts.append(value)  # a substituted value is data: its characters are never wildcards
        position = end + 1
    return Pattern(tuple(parts))


def action_matches(pattern: str, action: str) -> bool:
    """Whether a policy action (`*`, `s3:Get*`, `iam:*AccessKey*`) covers the requested action, ignoring case."""
    return Pattern(tuple(_literal_parts(pattern))).matches(action, ignore_case=True)


def split_arn(text: str, limit: int = 5) -> list[str]:
    """Split an ARN (or ARN pattern) on its first `limit` colons, ignoring colons inside `${...}` variables."""
    segments: list[str] = []
    current: list[str] = []
    depth = 0
    index = 0
    while index < len(text):
        char = text[index]
        if text.startswith("${", index):
            depth += 1
            current.append("${")
            index += 2
            continue
        if char == "}" and depth:
            depth -= 1
        if char == ":" and depth == 0 and len(segments) < limit:
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    segments.append("".join(current))
    return segments


def arn_matches(pattern: str, arn: str, lookup: VariableLookup | None = None) -> bool:
    """Whether an ARN pattern covers `arn`, segment by segment (ArnLike semantics, also the Resource element).

    `*` alone covers everything. Wildcards never cross the colons between the first six segments, so
    `arn:aws:svc:*:111122223333:finance/*` does not cover an ARN whose account segment is another account even
    when that account appears later in the resource part. Variables are substituted only in the resource part.
    """
    if pattern == "*":
        return True
    pattern_segments = split_arn(pattern)
    arn_segments = arn.split(":", 5)
    if len(pattern_segments) != len(arn_segments):
        if len(pattern_segments) > len(arn_segments):
            return False
        # A short pattern: its last segment is matched against the rest of the ARN, colons included.
        head = len(pattern_segments) - 1
        arn_segments = [*arn_segments[:head], ":".join(arn_segments[head:])]
    last = len(pattern_segments) - 1
    for index, (segment_pattern, segment) in enumerate(zip(pattern_segments, arn_segments, strict=True)):
        resolved = resolve(segment_pattern, lookup if index == last == 5 else None)
        if resolved is None or not resolved.matches(segment):
            return False
    return True


def string_matches(pattern: str, value: str, lookup: VariableLookup | None, *, like: bool, ignore_case: bool) -> bool:
    """Compare a condition string value: exact (wildcards are plain characters) or `like` (they are wildcards)."""
    resolved = resolve(pattern, lookup)
    if resolved is None:
        return False  # a variable without a value is null: nothing equals or is like it
    if like:
        return resolved.matches(value, ignore_case=ignore_case)
    text = resolved.text()
    return text.casefold() == value.casefold() if ignore_case else text == value
