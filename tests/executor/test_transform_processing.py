"""Batch transform's record handling: SplitType, DataProcessing filters and join, AssembleWith, JSON records."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xgboost as xgb

from localaws.sagemaker_pipelines.errors import StepFailed
from localaws.sagemaker_pipelines.steps.transform import _check_request, transform_records
from pipelines.pipeline_definition.errors import PipelineDefinitionError


@pytest.fixture(scope="module")
def booster() -> xgb.Booster:
    """y = 2 * x0 + x1, learnt closely enough that predictions are distinct per row."""
    rng = np.random.default_rng(0)
    features = rng.uniform(0, 1, size=(200, 2)).astype(np.float32)
    return xgb.train({"objective": "reg:squarederror", "max_depth": 4}, xgb.DMatrix(features,
                     label=2 * features[:, 0] + features[:, 1]), 60)


def request(content_type="text/csv", split="Line", assemble="Line", **processing) -> dict:
    return {"TransformInput": {"ContentType": content_type, "SplitType": split,
                               "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in/"}}},
            "TransformOutput": {"S3OutputPath": "s3://b/out/", "AssembleWith": assemble},
            "BatchStrategy": "MultiRecord", "DataProcessing": processing}


def predictions(booster, rows) -> list[float]:
    return [float(f"{value:.8g}") for value in booster.inplace_predict(np.array(rows, dtype=np.float32))]


CSV = b"id-1,0.1,0.2,7\nid-2,0.5,0.5,8\n"


def test_input_filter_join_and_output_filter_on_csv_records(booster):
    out = transform_records(booster, request(InputFilter="$[1:-1]", JoinSource="Input", OutputFilter="$[0,-1]"),
                            CSV, "in.csv")

    first, second = predictions(booster, [[0.1, 0.2], [0.5, 0.5]])
    assert out.decode() == f"id-1,{first:.8g}\nid-2,{second:.8g}\n"


def test_a_join_keeps_the_whole_input_record(booster):
    out = transform_records(booster, request(InputFilter="$[1,2]", JoinSource="Input"), CSV, "in.csv")

    first, second = predictions(booster, [[0.1, 0.2], [0.5, 0.5]])
    assert out.decode().splitlines() == [f"id-1,0.1,0.2,7,{first:.8g}", f"id-2,0.5,0.5,8,{second:.8g}"]


def test_assemble_with_none_concatenates_the_records(booster):
    out = transform_records(booster, request(assemble="None", InputFilter="$[1:3]"), CSV, "in.csv")

    first, second = predictions(booster, [[0.1, 0.2], [0.5, 0.5]])
    assert out.decode() == f"{first:.8g}{second:.8g}"


def test_json_lines_records_are_filtered_and_joined_under_sagemaker_output(booster):
    body = b'{"id": "a", "features": [0.1, 0.2]}\n{"id": "b", "features": [0.5, 0.5]}\n'

    out = transform_records(booster, request("application/json", InputFilter="$.features", JoinSource="Input",
                                             OutputFilter="$['id','SageMakerOutput']"), body, "in.jsonl")

    first, second = predictions(booster, [[0.1, 0.2], [0.5, 0.5]])
    assert [json.loads(line) for line in out.decode().splitlines()] == [["a", first], ["b", second]]


def test_split_type_none_is_one_record(booster):
    out = transform_records(booster, request("application/json", split="None"), b'{"features": [0.1, 0.2]}',
                            "in.json")

    assert out.decode() == f"{predictions(booster, [[0.1, 0.2]])[0]:.8g}\n"


def test_a_record_with_the_wrong_number_of_features_fails_naming_both_counts(booster):
    with pytest.raises(StepFailed, match=r"answered 400: Unable to evaluate payload provided: Feature size of csv "
                                         r"inference data 3 is not consistent with feature size of trained model 2"):
        transform_records(booster, request(InputFilter="$[1:]", JoinSource="Input"), CSV, "in.csv")


def test_a_text_field_sent_to_the_model_fails_with_the_fix(booster):
    with pytest.raises(StepFailed, match=r"answered 415: Loading csv data failed with Exception, please ensure data "
                                         r"is in csv format: <class 'ValueError'> could not convert string to "
                                         r"float: 'id-1'"):
        transform_records(booster, request(InputFilter="$[0,1]"), CSV, "in.csv")


@pytest.mark.parametrize(("changes", "message"), [
    ({"DataProcessing": {"JoinSource": "Output"}}, "JoinSource 'Output': use Input or None"),
    ({"DataProcessing": {"InputFilter": "$[[["}}, "InputFilter '\\$\\[\\[\\[' is not a JSONPath"),
    ({"BatchStrategy": "Everything"}, "BatchStrategy 'Everything': use MultiRecord or SingleRecord"),
])
def test_bad_transform_requests_name_the_field(changes, message):
    with pytest.raises(StepFailed, match=message):
        _check_request({**request(), **changes})


def test_unsupported_transform_settings_are_refused_before_anything_runs(executor, store):
    transform = {"Name": "Predict", "Type": "Transform", "Arguments": {
        "ModelName": {"Get": "Parameters.Model"}, **request(split="RecordIO", JoinSource="Input")}}

    with pytest.raises(PipelineDefinitionError, match=r"^step 'Predict': SplitType Line and None are emulated "
                                                      r"locally \(RecordIO and TFRecord are not\)$"):
        executor.run_definition(json.dumps({"Version": "2020-12-01", "Steps": [transform], "Parameters": [
            {"Name": "Model", "Type": "String", "DefaultValue": "m"}]}), "refused")
    assert store.list() == []
