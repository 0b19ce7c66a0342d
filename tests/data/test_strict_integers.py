"""Property tests of the strict integer reader: every string either is an integer as a file writes it or is refused
with the project's error naming the row and the column; nothing else escapes."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from pipelines.data.raw import MISSING, MalformedDataError, read_raw
from pipelines.parsing import strict_int

BOUNDED = settings(derandomize=True, database=None, max_examples=200, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])
INTEGER = re.compile(r"-?[0-9]+")
# Text as it could appear in one field: anything but the separator and the line end (those change the row's
# shape, which the field-count rule reports); the reader decodes UTF-8 text, so no lone surrogates.
FIELD = st.text(st.characters(blacklist_characters=",\n\r", blacklist_categories=("Cs",)), max_size=12)


@BOUNDED
@given(st.text(max_size=12))
@example("6_7")
@example(" 67 ")
@example("\u0666\u0667")
@example("\uff16\uff17")  # full-width digits
@example("+67")
@example("67\n")
@example("1" * 5000)  # more digits than int() converts
def test_strict_int_reads_exactly_the_ascii_integers(text):
    value = strict_int(text, negative=True)
    if INTEGER.fullmatch(text) and len(text.lstrip("-")) <= 4300:
        assert value == int(text)
    else:
        assert value is None
    assert strict_int(text) == (value if value is None or not text.startswith("-") else None)


@BOUNDED
@given(st.integers(min_value=-10**30, max_value=10**30))
def test_every_integer_written_in_decimal_reads_back(number):
    assert strict_int(str(number), negative=True) == number
    assert strict_int(str(number)) == (number if number >= 0 else None)


@pytest.mark.parametrize("column", ["Age", "Severity"])
@BOUNDED
@given(field=FIELD)
@example(field="6_7")
@example(field=" 67 ")
@example(field="\u0666\u0667")
@example(field="\u2028")  # a line separator to str.splitlines(), not to the file format
@example(field="00")
def test_a_field_is_read_as_its_integer_or_refused_naming_row_and_column(tmp_path, column, field):
    assume(field != MISSING)
    position = ["BI-RADS", "Age", "Shape", "Margin", "Density", "Severity"].index(column)
    row = ["4", "43", "1", "1", "3", "1"]
    row[position] = field
    raw = tmp_path / "raw.data"
    raw.write_text("5,67,3,5,3,1\n" + ",".join(row) + "\n4,28,1,1,3,0\n", encoding="utf-8")
    if not INTEGER.fullmatch(field):
        with pytest.raises(MalformedDataError, match=re.escape(f"line 2: field {column} is {field!r};")):
            read_raw(raw)
    elif column == "Severity" and int(field) not in (0, 1):
        with pytest.raises(MalformedDataError, match="line 2: Severity must be 0 or 1"):
            read_raw(raw)
    else:
        read = read_raw(raw)
        value = read.records[1].values[column]
        outside = {(issue.line, issue.column, issue.value) for issue in read.out_of_range}
        assert value == int(field) or (value is None and (2, column, int(field)) in outside)
