"""Property tests of the CLI's value parsers: a string that is not exactly a valid value is refused with exit 2
and a message naming the field; no input gives a traceback."""

from __future__ import annotations

import ipaddress
import math
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from localaws import cli as local_cli
from localaws.binding import BindError, host_addresses, is_host_name, parse_port
from pipelines.errors import EXIT_USAGE, UsageError
from pipelines.pipeline_definition.parameters import check_given_values

DEFINITION = {"Parameters": [
    {"Name": "Rounds", "Type": "Integer", "DefaultValue": 100},
    {"Name": "Threshold", "Type": "Float", "DefaultValue": 0.8},
    {"Name": "Quick", "Type": "Boolean", "DefaultValue": False},
    {"Name": "Engine", "Type": "String", "DefaultValue": "drift", "EnumValues": ["drift", "quality"]},
]}
PROPERTY = settings(derandomize=True, max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
ANY_ADDRESS = "0.0.0.0"  # noqa: S104 - the address a stack must not bind without --allow-remote
# Text of every kind: digits, signs, blanks, other scripts' digits, separators, control characters.
ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12) | st.sampled_from(
    ["", " 1", "1 ", "+1", "-1", "1_0", "١٢", "0x10", "1e3", "1.", ".5", "nan", "inf", "-inf", "True", "TRUE",
     "yes", "0", "00", "080", "65535", "65536", "99999", "256.1.1.1", ANY_ADDRESS, "::1", "localhost."])


def _parameter(name: str, text: str):
    try:
        return check_given_values(DEFINITION, {name: text})[name], None
    except UsageError as error:
        return None, error


@PROPERTY
@given(ANY_TEXT)
def test_an_integer_parameter_takes_exactly_plain_decimal_integers(text):
    value, error = _parameter("Rounds", text)
    if error is None:
        assert text.isascii()
        assert text.lstrip("+-").isdigit()
        assert value == int(text)
    else:
        assert error.exit_code == EXIT_USAGE
        assert str(error) == f"pipeline parameter 'Rounds' must be of type Integer, got {text!r}"


@PROPERTY
@given(ANY_TEXT)
def test_a_float_parameter_takes_exactly_finite_decimal_numbers(text):
    value, error = _parameter("Threshold", text)
    if error is None:
        assert text.isascii()
        assert text == text.strip()
        assert "_" not in text
        assert math.isfinite(value)
        assert value == float(text)
    else:
        assert str(error) == f"pipeline parameter 'Threshold' must be of type Float, got {text!r}"


@PROPERTY
@given(ANY_TEXT)
def test_a_boolean_parameter_takes_true_or_false(text):
    value, error = _parameter("Quick", text)
    if error is None:
        assert text.lower() in ("true", "false")
        assert value == (text.lower() == "true")
    else:
        assert str(error) == f"pipeline parameter 'Quick' must be of type Boolean, got {text!r}"


@PROPERTY
@given(ANY_TEXT)
def test_a_string_parameter_with_enum_values_takes_one_of_them(text):
    value, error = _parameter("Engine", text)
    if error is None:
        assert value == text
        assert text in ("drift", "quality")
    else:
        assert str(error) == f"pipeline parameter 'Engine' is {text!r}: use one of drift, quality"


@PROPERTY
@given(st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False))
def test_every_value_of_the_type_written_plainly_is_taken(integer, number):
    assert check_given_values(DEFINITION, {"Rounds": str(integer), "Threshold": repr(number)}) == {
        "Rounds": integer, "Threshold": number}


@PROPERTY
@given(ANY_TEXT)
def test_a_port_is_exactly_1_to_65535_in_plain_decimal(text):
    valid = text.isascii() and text.isdigit() and str(int(text)) == text and 1 <= int(text) <= 65535
    if valid:
        assert parse_port(text) == int(text)
    else:
        with pytest.raises(BindError, match=f"^--port {re.escape(repr(text))}: ") as refused:
            parse_port(text)
        assert refused.value.exit_code == EXIT_USAGE


@PROPERTY
@given(st.integers(1, 65535))
def test_every_port_is_taken(port):
    assert parse_port(str(port)) == port


def _loopback_literal(text: str) -> bool:
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


@PROPERTY
@given(text=ANY_TEXT)
def test_mlops_local_up_refuses_a_bad_port_or_host_with_exit_2_naming_it(text, capsys):
    try:
        parse_port(text)
    except BindError:
        assert local_cli.main(["up", f"--port={text}"]) == EXIT_USAGE
        [line] = capsys.readouterr().err.splitlines()
        assert line.startswith("mlops-local: error: --port ")
    # A name is looked up (its answer is the resolver's); an IP literal must be a loopback one without the flag.
    assume(not is_host_name(text) and not _loopback_literal(text))
    assert local_cli.main(["up", f"--host={text}"]) == EXIT_USAGE
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("mlops-local: error: --host ")


@pytest.mark.parametrize(("argv", "message"), [
    (["up", "--port", "99999"], "--port '99999': give a whole number from 1 to 65535"),
    (["up", "--port", "0"], "--port '0': give a whole number from 1 to 65535"),
    (["up", "--host", "256.1.1.1"], "--host '256.1.1.1': not an IP address or a host name"),
    (["up", "--host", ANY_ADDRESS], f"--host {ANY_ADDRESS}: not a loopback address; the stack has no authentication"),
])
def test_mlops_local_up_refuses_before_starting_anything(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLOPS_LOCAL_DIR", str(tmp_path))
    assert local_cli.main(argv) == EXIT_USAGE
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"mlops-local: error: {message}")
    assert list(tmp_path.iterdir()) == []  # no stack.json, no lock, no log


def test_a_non_loopback_host_names_the_flag_that_allows_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLOPS_LOCAL_DIR", str(tmp_path))
    assert local_cli.main(["up", "--host", ANY_ADDRESS]) == EXIT_USAGE
    assert "give --allow-remote to bind it anyway" in capsys.readouterr().err


def test_loopback_names_and_literals_need_no_flag():
    assert all(address.is_loopback for address in host_addresses("localhost"))
    assert [str(address) for address in host_addresses("127.0.0.1")] == ["127.0.0.1"]
    assert [str(address) for address in host_addresses("::1")] == ["::1"]
