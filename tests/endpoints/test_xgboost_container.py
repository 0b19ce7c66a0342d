"""The XGBoost serving container's answers for each content type and Accept (pure: no stack)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xgboost as xgb

from localaws.sagemaker_endpoints import xgboost_container
from localaws.sagemaker_endpoints.model_archive import ModelArchiveError, load_xgboost_model


@pytest.fixture(scope="module")
def booster(mammo) -> xgb.Booster:
    return mammo.boosters["v1"]


def test_libsvm_rows_and_csv_rows_with_missing_values_score_as_the_booster(booster, mammo):
    rows = mammo.rows[:5].copy()
    rows[0, 1] = np.nan
    libsvm = "\n".join("1 " + " ".join(f"{i}:{v:g}" for i, v in enumerate(row) if not np.isnan(v)) for row in rows)
    expected = booster.predict(xgb.DMatrix(rows))
    for payload, content_type in ((libsvm.encode(), "text/libsvm"), (libsvm.encode(), None),
                                  (mammo.csv(rows).replace(b"nan", b""), "text/csv; label_size=1")):
        answer = xgboost_container.invoke(booster, payload, content_type, "*/*")
        assert (answer.status, answer.content_type) == (200, "text/csv; charset=utf-8")
        np.testing.assert_allclose([float(s) for s in answer.body.decode().split("\n")], expected, atol=1e-6, rtol=0)


def test_accept_types_and_refusals(booster, mammo):
    payload = mammo.csv(mammo.rows[:2])
    lines = xgboost_container.invoke(booster, payload, "text/csv", "application/jsonlines")
    assert [set(json.loads(line)) for line in lines.body.decode().splitlines()] == [{"score"}, {"score"}]
    refused = xgboost_container.invoke(booster, payload, "text/csv", "application/xml")
    assert refused.status == 406
    assert refused.body.decode().startswith("Accept type application/xml is not supported.")
    assert xgboost_container.invoke(booster, payload, "text/csv; label_size=2", None).status == 415
    assert xgboost_container.invoke(booster, payload, "application/x-parquet", None).status == 415
    assert xgboost_container.invoke(booster, b"", "text/csv", None).status == 204


def test_an_archive_without_the_model_file_is_refused_with_the_reason():
    with pytest.raises(ModelArchiveError, match="the model archive has no xgboost-model"):
        load_xgboost_model(b"not a tar archive")


@pytest.mark.parametrize("count", [3, xgboost_container.SMALL_PAYLOAD_LINES + 1])
def test_csv_scores_equal_the_booster_and_ragged_rows_are_refused_however_many_lines(booster, mammo, count):
    rows = np.resize(mammo.rows, (count, mammo.rows.shape[1]))
    answer = xgboost_container.invoke(booster, mammo.csv(rows), "text/csv", None)
    assert answer.status == 200
    np.testing.assert_array_equal(np.array(answer.body.decode().split("\n"), dtype=float),
                                  booster.predict(xgb.DMatrix(rows)))
    # as many values as `count` full rows, but one line short of a field and one a field too long
    lines = mammo.csv(rows).decode().strip().split("\n")
    lines[1], lines[2] = lines[1].rpartition(",")[0], f"{lines[2]},1"
    ragged = xgboost_container.invoke(booster, "\n".join(lines).encode(), "text/csv", None)
    assert ragged.status == 415
    assert ragged.body.decode().startswith("Loading csv data failed with Exception")
