"""Strict parsing of integers written as text (data rows; configuration files can share it).

Python's `int()` reads far more than an integer as people write it in a file: `int("6_7")`, `int(" 67 ")` and
`int("٦٧")` (Arabic-Indic digits) are all 67. A data file holding one of those has a defect, and reading it as 67
would hide it, so the readers of this platform use `strict_int`.
"""

from __future__ import annotations

import re

_SIGNED = re.compile(r"-?[0-9]+")  # [0-9], not \d: \d matches every script's digits
_UNSIGNED = re.compile(r"[0-9]+")


def strict_int(text: str, *, negative: bool = False) -> int | None:
    """The integer `text` spells, or None when it spells none exactly.

    Exactly: ASCII digits 0-9 only, a leading '-' only when `negative` allows it, no '+', no underscores, no
    whitespace anywhere, and no more digits than Python converts (`sys.get_int_max_str_digits()`, 4300).
    """
    if not (_SIGNED if negative else _UNSIGNED).fullmatch(text):
        return None
    try:
        return int(text)
    except ValueError:  # more digits than int() converts: no count or code in a file is that long
        return None
