"""What every section of an environment file is read with: `Fields` (errors naming the file and the dotted
field), the patterns and hints several sections share, and `closest` for did-you-mean hints."""

from __future__ import annotations

import difflib
import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipelines.errors import ConfigError

# The package's name, as before the split into modules: log settings and tests select these warnings by it.
logger = logging.getLogger("pipelines.config")

# ASCII only, matched whole (fullmatch): Terraform's RE2 `[0-9]` and `\w` know no full-width digits or accented
# letters, and `$` alone would let a trailing newline through.
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", re.ASCII)
BUCKET_HINT = "S3 bucket names are 3-63 lowercase letters, digits, dots and hyphens"
RESOURCE_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", re.ASCII)  # SageMaker pipeline / group names
NAME_HINT = "use letters, digits and single hyphens, at most 63 characters"
IAM_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
IAM_HINT = "IAM role names are 1-64 of [A-Za-z0-9+=,.@_-]"
FUNCTION_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}", re.ASCII)
FUNCTION_HINT = "Lambda function names are 1-64 of [A-Za-z0-9_-]"
KMS_ALIAS = re.compile(r"alias/[a-zA-Z0-9/_-]{1,250}", re.ASCII)
KMS_ALIAS_HINT = "a KMS alias starts with 'alias/'"
INSTANCE_TYPE = re.compile(r"ml\.[a-z0-9]+\.[a-z0-9]+", re.ASCII)
INSTANCE_HINT = "use a SageMaker instance type such as ml.m5.large"
# An IAM role or user (never an account root or a wildcard); group 1 is its account.
PRINCIPAL_ARN = re.compile(r"arn:aws[a-z-]*:iam::([0-9]{12}):(role|user)/[a-zA-Z0-9+=,.@/_-]+", re.ASCII)
PRINCIPAL_HINT = "use an IAM role or user ARN such as arn:aws:iam::123456789012:role/name (no account root, no '*')"

_WARNED: set[tuple[Path, str]] = set()


class Fields:
    """Reads one JSON object of an environment file; errors carry the file and the dotted field path."""

    def __init__(self, path: Path, data: Any, where: str):
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: field '{where}' must be an object, got {type(data).__name__}")
        self.path, self.data, self.where = path, data, where
        self.known: set[str] = set()
        self.children: list[Fields] = []

    def warn_unknown(self) -> None:
        """Log each key no field reads (a typo is otherwise silently ignored), with the closest known field."""
        for key in sorted(set(self.data) - self.known):
            if (self.path, self.name(key)) in _WARNED:  # a command may load the same file several times
                continue
            _WARNED.add((self.path, self.name(key)))
            match = closest(key, self.known)
            hint = f"; did you mean '{self.name(match)}'?" if match else ""
            logger.warning("%s: unknown field '%s' is ignored%s", self.path, self.name(key), hint)
        for child in self.children:
            child.warn_unknown()

    def name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: field '{self.name(key)}' {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], pattern: re.Pattern | None = None, hint: str = "",
            default: Any = None, optional: bool = False):
        """`optional`: the key may be missing or null, both read as `default`."""
        self.known.add(key)
        if key not in self.data or (optional and self.data[key] is None):
            if optional:
                return default
            raise self.fail(key, "is missing")
        value = self.data[key]
        # bool is an int subclass: a float or int field must not silently accept true/false.
        if isinstance(value, bool) and kind is not bool:
            raise self.fail(key, f"must be {_kind_name(kind)}, got a boolean")
        if not isinstance(value, kind):
            raise self.fail(key, f"must be {_kind_name(kind)}, got {json.dumps(value)}")
        if pattern is not None and not pattern.fullmatch(value):
            raise self.fail(key, f"has invalid value {value!r}: {hint}")
        return value

    def string_list(self, key: str, pattern: re.Pattern, hint: str) -> tuple[str, ...]:
        """A non-empty list of strings, each matching `pattern`; an error names the item (`field[1]`)."""
        self.known.add(key)
        if key not in self.data:
            raise self.fail(key, "is missing")
        values = self.data[key]
        if not isinstance(values, list):
            raise self.fail(key, f"must be a list of strings, got {json.dumps(values)}")
        if not values:
            raise self.fail(key, "must list at least one value")
        for index, value in enumerate(values):
            if not isinstance(value, str):
                raise self.fail(f"{key}[{index}]", f"must be a string, got {json.dumps(value)}")
            if not pattern.fullmatch(value):
                raise self.fail(f"{key}[{index}]", f"has invalid value {value!r}: {hint}")
        return tuple(values)

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.get(key, str)
        if value not in choices:
            raise self.fail(key, f"has invalid value {value!r}: use one of {', '.join(choices)}")
        return value

    def positive(self, key: str, kind: type | tuple[type, ...] = int):
        value = self.get(key, kind)
        if value <= 0:
            raise self.fail(key, f"must be greater than 0, got {value}")
        return value

    def between(self, key: str, low: int, high: int, kind: type | tuple[type, ...] = int, default=None):
        """`default`: the key may be missing or null, read as `default`."""
        value = self.get(key, kind, default=default, optional=default is not None)
        if not low <= value <= high:
            raise self.fail(key, f"must be between {low} and {high}, got {value}")
        return value

    def kms_alias(self, key: str) -> str:
        """A customer managed key's alias: alias/aws/ names AWS managed keys, whose policies the platform cannot
        set."""
        alias = self.get(key, str, KMS_ALIAS, KMS_ALIAS_HINT)
        if alias.startswith("alias/aws/"):
            raise self.fail(key, f"has invalid value {alias!r}: alias/aws/ is reserved for AWS managed keys; name a "
                                 "customer managed key's alias")
        return alias

    def child(self, key: str, optional: bool = False, missing_ok: bool = False) -> Fields | None:
        """`optional`: the value may be null; `missing_ok` (with optional): the key may be left out too."""
        self.known.add(key)
        if key not in self.data:
            if optional and missing_ok:
                return None
            raise self.fail(key, "is missing")
        if optional and self.data[key] is None:
            return None
        child = Fields(self.path, self.data[key], self.name(key))
        self.children.append(child)
        return child


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false", dict: "an object",
             list: "a list"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like `word` (difflib), preferring one with the same letters: a swapped pair is the
    commonest typo, and difflib alone ranks 'us-west-1' above 'us-east-1' for 'us-esat-1'."""
    candidates = difflib.get_close_matches(word, sorted(choices), n=5)
    same_letters = [candidate for candidate in candidates if sorted(candidate) == sorted(word)]
    return (same_letters or candidates or [None])[0]
