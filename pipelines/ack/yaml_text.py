"""Deterministic YAML text: no anchors or aliases, keys in the order given, long lines never folded."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml


class LiteralText(str):
    """A string written as a literal block (`|-`), byte for byte: the pipeline definition JSON."""


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _literal(dumper: yaml.SafeDumper, text: LiteralText) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(text), style="|")


_Dumper.add_representer(LiteralText, _literal)


def dump(document: Any, sort_keys: bool = False) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=sort_keys, default_flow_style=False,
                     allow_unicode=False, width=float("inf"))


def dump_all(documents: Iterable[Any]) -> str:
    return "---\n".join(dump(document) for document in documents)
