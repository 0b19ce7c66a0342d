"""`workload.pipeline.tuning`: null or missing trains once; a tuning job's limits and ranges, each error naming
the field and the fix."""

from __future__ import annotations

import json

import pytest

from pipelines.config import ENVIRONMENTS_DIR, ParameterRange, Tuning, load_config_file
from pipelines.errors import ConfigError

TUNING = {"max_jobs": 4, "max_parallel_jobs": 2, "random_seed": 42, "ranges": {
    "max_depth": {"kind": "integer", "min": 2, "max": 6},
    "eta": {"kind": "continuous", "min": 0.05, "max": 0.5, "scaling": "Logarithmic"},
}}


def load_with(tmp_path, tuning=..., **changes):
    document = json.loads((ENVIRONMENTS_DIR / "dev.tfvars.json").read_text())
    settings = document["workload"]["pipeline"]
    if tuning is not ...:
        settings["tuning"] = json.loads(json.dumps(tuning))
        for path, value in changes.items():
            *parents, key = path.split("__")
            target = settings["tuning"]
            for parent in parents:
                target = target[parent]
            if value is None:
                del target[key]
            else:
                target[key] = value
    path = tmp_path / "dev.tfvars.json"
    path.write_text(json.dumps(document))
    return load_config_file(path).workload.pipeline.tuning


def test_null_or_missing_tuning_trains_once(tmp_path):
    assert load_with(tmp_path) is None
    assert load_with(tmp_path, None) is None


def test_a_tuning_section_reads_limits_seed_and_ranges_in_name_order(tmp_path):
    assert load_with(tmp_path, TUNING) == Tuning(max_jobs=4, max_parallel_jobs=2, random_seed=42, ranges=(
        ParameterRange("eta", "continuous", 0.05, 0.5, "Logarithmic"),
        ParameterRange("max_depth", "integer", 2, 6, "Auto")))


@pytest.mark.parametrize(("changes", "message"), [
    ({"max_parallel_jobs": 5}, r"'workload\.pipeline\.tuning\.max_parallel_jobs' must be at most max_jobs \(4\)"),
    ({"max_jobs": 751}, r"'workload\.pipeline\.tuning\.max_jobs' must be at most 750"),
    ({"max_jobs": 0}, r"'workload\.pipeline\.tuning\.max_jobs' must be greater than 0"),
    ({"random_seed": None}, r"'workload\.pipeline\.tuning\.random_seed' is missing"),
    ({"ranges": {}}, r"'workload\.pipeline\.tuning\.ranges' must name at least one hyperparameter"),
    ({"ranges__eta__kind": "float"}, r"'workload\.pipeline\.tuning\.ranges\.eta\.kind' has invalid value 'float': "
                                     r"use one of integer, continuous"),
    ({"ranges__max_depth__min": 2.5}, r"'workload\.pipeline\.tuning\.ranges\.max_depth\.min' must be an integer"),
    ({"ranges__eta__min": 0.9}, r"'workload\.pipeline\.tuning\.ranges\.eta\.min' must not be greater than max"),
    ({"ranges__eta__min": 0}, r"'workload\.pipeline\.tuning\.ranges\.eta\.min' must be greater than 0 for "
                              r"Logarithmic scaling"),
    ({"ranges__eta__scaling": "ReverseLogarithmic"}, r"'workload\.pipeline\.tuning\.ranges\.eta\.scaling' has "
                                                     r"invalid value 'ReverseLogarithmic': use one of Auto, Linear"),
])
def test_a_bad_tuning_section_names_the_field_and_the_fix(tmp_path, changes, message):
    with pytest.raises(ConfigError, match=message) as raised:
        load_with(tmp_path, TUNING, **changes)
    assert raised.value.exit_code == 2
