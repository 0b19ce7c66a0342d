"""The expression evaluator on plain dictionaries: Get, Std:Join, Std:JsonGet and conditions."""

from __future__ import annotations

import pytest

from pipelines.pipeline_definition.errors import ExpressionError
from pipelines.pipeline_definition.expressions import (
    ExpressionScope,
    evaluate,
    evaluate_condition,
    parse_path,
    step_references,
)

PREPROCESS = {
    "ProcessingJobName": "pipelines-abc-Preprocess",
    "ProcessingOutputConfig": {"Outputs": [
        {"OutputName": "train", "S3Output": {"S3Uri": "s3://bucket/train"}},
        {"OutputName": "validation", "S3Output": {"S3Uri": "s3://bucket/validation"}},
    ]},
}
LAMBDA = {"OutputParameters": {"ModelDataUrl": "s3://artifacts/model.tar.gz"}}
REPORT = {"classification_metrics": {"auc": {"value": 0.91}, "per_class": [{"f1": 0.5}, {"f1": 0.75}]}}


def scope(**parameters) -> ExpressionScope:
    steps = {"Preprocess": PREPROCESS, "Latest-Model": LAMBDA}

    def step_properties(name):
        if name not in steps:
            raise ExpressionError(f"reference to unknown step {name!r}")
        return steps[name]

    def read_property_file(step, name):
        assert (step, name) == ("Evaluate", "EvaluationReport")
        return REPORT

    return ExpressionScope(
        parameters={"InputDataUri": "s3://data/train/", "AucScoreThreshold": 0.75, **parameters},
        execution_variables={"PipelineExecutionId": "abc123", "PipelineName": "train"},
        step_properties=step_properties,
        read_property_file=read_property_file,
        read_s3_json=lambda uri: {"uri": uri, "nested": {"list": [1, 2, 3]}},
    )


def test_path_segments_are_attributes_indexes_and_quoted_keys():
    assert parse_path("Outputs['train'].S3Output.S3Uri") == ["Outputs", "train", "S3Output", "S3Uri"]
    assert parse_path('a[2]["b c"].d') == ["a", 2, "b c", "d"]
    with pytest.raises(ExpressionError, match="cannot parse property path"):
        parse_path("a..b")


def test_get_reads_parameters_execution_variables_and_step_properties():
    values = scope()
    assert evaluate({"Get": "Parameters.InputDataUri"}, values) == "s3://data/train/"
    assert evaluate({"Get": "Execution.PipelineExecutionId"}, values) == "abc123"
    uri = evaluate({"Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['validation'].S3Output.S3Uri"}, values)
    assert uri == "s3://bucket/validation"
    assert evaluate({"Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs[0].OutputName"}, values) == "train"
    # Lambda outputs are a map: ['name'] reads the value; hyphenated step names are fine.
    assert evaluate({"Get": "Steps.Latest-Model.OutputParameters['ModelDataUrl']"}, values) == \
        "s3://artifacts/model.tar.gz"


def test_expressions_nested_in_a_request_are_all_resolved_and_the_rest_kept():
    request = {"S3Uri": {"Get": "Parameters.InputDataUri"}, "Count": 1,
               "List": [{"Get": "Execution.PipelineName"}, "literal"], "Get-like": {"Get": "x", "Other": 1}}
    assert evaluate(request, scope()) == {"S3Uri": "s3://data/train/", "Count": 1, "List": ["train", "literal"],
                                          "Get-like": {"Get": "x", "Other": 1}}


def test_join_turns_numbers_and_booleans_into_text():
    joined = evaluate({"Std:Join": {"On": "/", "Values": [
        "s3://b", {"Get": "Execution.PipelineExecutionId"}, {"Get": "Parameters.AucScoreThreshold"}, 3, True]}},
        scope())
    assert joined == "s3://b/abc123/0.75/3/true"


def test_json_get_reads_property_files_and_s3_documents():
    values = scope()
    auc = {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.EvaluationReport"},
                           "Path": "classification_metrics.auc.value"}}
    assert evaluate(auc, values) == 0.91
    f1 = {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.EvaluationReport"},
                          "Path": "classification_metrics.per_class[1].f1"}}
    assert evaluate(f1, values) == 0.75
    from_s3 = {"Std:JsonGet": {"S3Uri": {"Std:Join": {"On": "/", "Values": ["s3://b", "x.json"]}},
                               "Path": "nested.list[2]"}}
    assert evaluate(from_s3, values) == 3


@pytest.mark.parametrize(("reference", "message"), [
    ("Parameters.Missing", r"unknown parameter 'Missing' .*declares: InputDataUri, AucScoreThreshold"),
    ("Execution.Nope", "unknown execution variable 'Nope'"),
    ("Steps.Unknown.Anything", "unknown step 'Unknown'"),
    ("Steps.Preprocess.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri",
     r"no entry named 'test' \(entries: train, validation\)"),
    ("Steps.Preprocess.NoSuchAttribute", "has no attribute 'NoSuchAttribute'"),
    ("Steps.Preprocess.ProcessingOutputConfig.Outputs[5]", r"Outputs\[5\] does not exist \(2\)"),
    ("Steps.Evaluate.PropertyFiles.EvaluationReport", "only readable through Std:JsonGet"),
    ("Somewhere.Else", "use Parameters.*, Execution.* or Steps"),
])
def test_unknown_references_fail_naming_what_is_wrong(reference, message):
    with pytest.raises(ExpressionError, match=message):
        evaluate({"Get": reference}, scope())


def test_json_get_with_a_wrong_path_names_the_file():
    wrong = {"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.EvaluationReport"},
                             "Path": "classification_metrics.roc"}}
    with pytest.raises(ExpressionError, match=r"property file Evaluate.EvaluationReport.* no attribute 'roc'"):
        evaluate(wrong, scope())


@pytest.mark.parametrize(("kind", "left", "right", "expected"), [
    ("Equals", 1, 1, True),
    ("Equals", "a", "b", False),
    ("GreaterThan", 0.91, {"Get": "Parameters.AucScoreThreshold"}, True),
    ("GreaterThan", 0.75, {"Get": "Parameters.AucScoreThreshold"}, False),
    ("GreaterThanOrEqualTo", 0.75, {"Get": "Parameters.AucScoreThreshold"}, True),
    ("LessThan", 0.5, "0.75", True),  # a number compared with numeric text compares as numbers
    ("LessThanOrEqualTo", "0.75", 0.75, True),
    ("LessThan", 2, 1, False),
])
def test_comparisons(kind, left, right, expected):
    assert evaluate_condition({"Type": kind, "LeftValue": left, "RightValue": right}, scope()) is expected


def test_in_not_and_or():
    values = scope(Mode="batch")
    is_batch = {"Type": "In", "QueryValue": {"Get": "Parameters.Mode"}, "Values": ["batch", "stream"]}
    is_other = {"Type": "In", "QueryValue": {"Get": "Parameters.Mode"}, "Values": ["train"]}
    assert evaluate_condition(is_batch, values) is True
    assert evaluate_condition(is_other, values) is False
    assert evaluate_condition({"Type": "Not", "Condition": is_other}, values) is True
    assert evaluate_condition({"Type": "Or", "Conditions": [is_other, is_batch]}, values) is True
    assert evaluate_condition({"Type": "Or", "Conditions": [is_other]}, values) is False


def test_bad_conditions_fail_clearly():
    with pytest.raises(ExpressionError, match="unsupported condition type 'And'"):
        evaluate_condition({"Type": "And", "Conditions": []}, scope())
    with pytest.raises(ExpressionError, match="compares a number with the text 'high'"):
        evaluate_condition({"Type": "GreaterThan", "LeftValue": 1, "RightValue": "high"}, scope())
    with pytest.raises(ExpressionError, match="cannot compare"):
        evaluate_condition({"Type": "GreaterThan", "LeftValue": [1], "RightValue": None}, scope())


def test_step_references_finds_every_referenced_step_once_per_use():
    request = {"A": {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"},
               "B": [{"Std:JsonGet": {"PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.R"}, "Path": "x"}}],
               "C": {"Std:Join": {"On": "", "Values": [{"Get": "Steps.Latest-Model.OutputParameters['x']"},
                                                       {"Get": "Parameters.P"}]}}}
    assert list(step_references(request)) == ["Train", "Evaluate", "Latest-Model"]
