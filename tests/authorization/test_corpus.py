"""Every case of tests/authorization/cases/*.yaml: the decision, its reason and AWS's message as documented."""

from __future__ import annotations

from collections import Counter

import pytest

from authorization.corpus import Case, load_cases
from localaws.authorization import access_denied_message, evaluate

CASES = load_cases()


def test_corpus_is_large_and_its_names_are_unique_ids() -> None:
    names = Counter(case.name for case in CASES)
    assert len(CASES) >= 150
    assert [n for n, count in names.items() if count > 1] == []
    # '::' in a test id splits it between xdist workers (see tests/conftest.py's collection guard).
    assert [n for n in names if "::" in n] == []


def test_every_expectation_is_checked_against_a_known_key() -> None:
    known = {"decision", "reason", "policy_type", "granted_by", "message"}
    unknown = {(case.name, key) for case in CASES for key in case.expect if key not in known}
    assert unknown == set()
    assert {case.expect["decision"] for case in CASES} == {"allow", "deny"}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case(case: Case) -> None:
    decision = evaluate(case.request)
    expect = case.expect
    assert ("allow" if decision.allowed else "deny") == expect["decision"], decision
    if "reason" in expect:
        assert decision.reason.value == expect["reason"], decision
    if "policy_type" in expect:
        assert decision.policy_type is not None, decision
        assert decision.policy_type.value == expect["policy_type"], decision
    if "granted_by" in expect:
        assert [basis.value for basis in decision.granted_by] == expect["granted_by"], decision
    if "message" in expect:
        assert access_denied_message(case.request, decision) == expect["message"]
