"""Data capture writes one JSON Lines record per sampled invocation where SageMaker puts them; metrics land
in AWS/SageMaker so alarms have data."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

from .conftest import CAPTURE_BUCKET

CAPTURE_PREFIX = f"s3://{CAPTURE_BUCKET}/datacapture"
CAPTURED_KEY = re.compile(r"datacapture/mammo/AllTraffic/\d{4}/\d{2}/\d{2}/\d{2}/"  # endpoint/variant/yyyy/mm/dd/hh
                          r"\d{2}-\d{2}-\d{3}-[0-9a-f-]{36}\.jsonl")  # mm-ss-mmm-<event id>.jsonl


def _capture(percentage: int, **extra) -> dict:
    return {"EnableCapture": True, "InitialSamplingPercentage": percentage, "DestinationS3Uri": CAPTURE_PREFIX,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}], **extra}


def _records(hosting) -> tuple[list[str], list[dict]]:
    listing = hosting.s3.list_objects_v2(Bucket=CAPTURE_BUCKET).get("Contents", [])
    keys = [item["Key"] for item in listing]
    lines = [line for key in keys
             for line in hosting.s3.get_object(Bucket=CAPTURE_BUCKET, Key=key)["Body"].read().decode().splitlines()]
    return keys, [json.loads(line) for line in lines]


def test_every_invocation_is_captured_as_one_record_in_the_endpoint_variant_hour_layout(hosting, mammo):
    hosting.model("mammo-model", "v1")
    hosting.config("mammo-config", ("AllTraffic", "mammo-model", 1.0), capture=_capture(
        100, CaptureContentTypeHeader={"CsvContentTypes": ["text/csv"]}))
    description = hosting.endpoint("mammo", "mammo-config")
    assert description["DataCaptureConfig"] == {"EnableCapture": True, "CaptureStatus": "Started",
                                                "CurrentSamplingPercentage": 100,
                                                "DestinationS3Uri": CAPTURE_PREFIX}
    rows = [mammo.csv(mammo.rows[i:i + 1]) for i in range(7)]
    answers = [hosting.invoke("mammo", row, ContentType="text/csv", InferenceId=f"case-{i}")[0]
               for i, row in enumerate(rows)]
    answers.append(hosting.invoke("mammo", rows[0], ContentType="text/csv", Accept="application/json")[0])

    keys, records = _records(hosting)
    assert len(records) == 8
    assert all(CAPTURED_KEY.fullmatch(key) for key in keys)
    first = records[[r["eventMetadata"].get("inferenceId") for r in records].index("case-0")]
    assert first["eventVersion"] == "0"
    assert first["captureData"]["endpointInput"] == {"observedContentType": "text/csv", "mode": "INPUT",
                                                     "data": rows[0].decode(), "encoding": "CSV"}
    assert first["captureData"]["endpointOutput"] == {"observedContentType": "text/csv; charset=utf-8",
                                                      "mode": "OUTPUT", "data": answers[0], "encoding": "CSV"}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", first["eventMetadata"]["inferenceTime"])
    as_json = next(r for r in records if r["captureData"]["endpointOutput"]["observedContentType"]
                   == "application/json")
    assert as_json["captureData"]["endpointOutput"]["encoding"] == "BASE64"  # not listed in JsonContentTypes
    assert base64.b64decode(as_json["captureData"]["endpointOutput"]["data"]).decode() == answers[-1]


def test_nothing_is_captured_at_a_sampling_of_zero_and_invocations_are_counted(hosting, mammo):
    hosting.model("mammo-model", "v1")
    hosting.config("mammo-config", ("AllTraffic", "mammo-model", 1.0), capture=_capture(0))
    description = hosting.endpoint("mammo", "mammo-config")
    for _ in range(5):
        hosting.invoke("mammo", mammo.csv(mammo.rows[:3]), ContentType="text/csv")
    assert _records(hosting) == ([], [])

    now = description["LastModifiedTime"]
    statistics = hosting.cloudwatch.get_metric_statistics(
        Namespace="AWS/SageMaker", MetricName="Invocations", Statistics=["Sum"], Period=3600,
        Dimensions=[{"Name": "EndpointName", "Value": "mammo"}, {"Name": "VariantName", "Value": "AllTraffic"}],
        StartTime=now - timedelta(hours=1), EndTime=now + timedelta(hours=1))
    assert sum(point["Sum"] for point in statistics["Datapoints"]) == 5
