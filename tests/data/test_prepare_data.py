"""prepare-data: validation rules of the raw file, a deterministic split with full accounting, the upload."""

from __future__ import annotations

import csv
import hashlib

import pytest

from pipelines.cli import prepare_data as cli
from pipelines.config import REPO_ROOT
from pipelines.data.prepare import BATCH, BATCH_OUTLIERS, S3_KEYS, TRAIN_PART1, TRAIN_PART2, prepare
from pipelines.data.raw import MalformedDataError, read_raw

RAW = REPO_ROOT / "data" / "mammographic_masses.data"


def digests(files: dict) -> dict[str, str]:
    return {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in files.items()}


def rows(path):
    with path.open() as handle:
        return list(csv.reader(handle))


def test_shipped_copy_is_the_documented_file():
    assert hashlib.sha256(RAW.read_bytes()).hexdigest() == \
        "072051c896fb14f8f25c64eed30ba1333290af41e6c9ffad4e1ca573daa865a8"


def test_same_files_byte_for_byte_on_every_run(tmp_path):
    raw = read_raw(RAW)
    assert digests(prepare(raw, tmp_path / "a").files) == digests(prepare(raw, tmp_path / "b").files)


def test_every_record_lands_in_exactly_one_file(tmp_path):
    raw = read_raw(RAW)
    prepared = prepare(raw, tmp_path)
    lines = [r.line for r in prepared.part1 + prepared.part2 + prepared.batch]
    assert sorted(lines) == list(range(1, 962))
    files = prepared.files
    assert rows(files[TRAIN_PART1])[0] == ["Age", "Shape", "Margin", "Density", "Severity"]
    assert len(rows(files[TRAIN_PART1])) - 1 + len(rows(files[TRAIN_PART2])) - 1 + len(rows(files[BATCH])) == 961
    assert len(rows(files[BATCH_OUTLIERS])) == len(rows(files[BATCH]))


def test_out_of_range_bi_rads_codes_are_reported_by_line_and_become_missing():
    raw = read_raw(RAW)
    reported = {(issue.column, issue.value) for issue in raw.out_of_range}
    assert reported == {("BI-RADS", 0), ("BI-RADS", 6), ("BI-RADS", 55)}
    assert len(raw.out_of_range) == 17  # 5 zeros, 11 sixes, one 55
    line_with_55 = next(issue.line for issue in raw.out_of_range if issue.value == 55)
    assert RAW.read_text().splitlines()[line_with_55 - 1].startswith("55,")
    assert raw.records[line_with_55 - 1].values["BI-RADS"] is None


def test_batch_is_model_ready_and_the_outlier_batch_is_not(tmp_path):
    prepared = prepare(read_raw(RAW), tmp_path)
    batch = rows(prepared.files[BATCH])
    assert all(len(row) == 4 and all(value != "" for value in row) for row in batch)
    outliers = rows(prepared.files[BATCH_OUTLIERS])
    assert any(value == "" for row in outliers for value in row)
    assert any(int(row[0]) > 120 for row in outliers)  # ages no person has: tenfold
    changed = sum(a != b for a, b in zip(batch, outliers, strict=True))
    assert changed == prepared.outlier_rows > 0


def test_negative_value_is_an_integer_outside_its_range(tmp_path):
    raw = tmp_path / "raw.data"
    raw.write_text("5,-67,3,5,3,1\r\n4,43,1,1,?,1\r\n")
    data = read_raw(raw)
    assert [(issue.line, issue.column, issue.value) for issue in data.out_of_range] == [(1, "Age", -67)]
    assert data.records[0].values["Age"] is None


@pytest.mark.parametrize(("line", "message"), [
    ("5,67,3,5", "line 3: expected 6 comma-separated fields"),
    ("5,sixty,3,5,3,1", "line 3: field Age is 'sixty'"),
    # int() reads each of these as 67; none is an integer as the file format writes one
    ("5,6_7,3,5,3,1", "line 3: field Age is '6_7'"),
    ("5, 67 ,3,5,3,1", "line 3: field Age is ' 67 '"),
    ("5,\u0666\u0667,3,5,3,1", "line 3: field Age is '\u0666\u0667'"),
    ("5,+67,3,5,3,1", r"line 3: field Age is '\+67'"),
    ("5,67,3,5,3,1 ", "line 3: field Severity is '1 '"),
    ("5,67,3,5,3,1\u2028", r"line 3: field Severity is '1\\u2028'"),  # repr() escapes it
    ("5,67,3,5,3,?", "line 3: Severity must be 0 or 1"),
    ("5,67,3,5,3,2", "line 3: Severity must be 0 or 1"),
    ("", "line 3: expected 6 comma-separated fields"),
])
def test_malformed_row_is_an_error_naming_the_line(tmp_path, line, message):
    raw = tmp_path / "raw.data"
    raw.write_text(f"5,67,3,5,3,1\n4,43,1,1,?,1\n{line}\n4,28,1,1,3,0\n")
    with pytest.raises(MalformedDataError, match=message):
        read_raw(raw)


def test_cli_rejects_a_malformed_file_with_exit_2(tmp_path, capsys):
    raw = tmp_path / "raw.data"
    raw.write_text("5,67,3,5,3,1\n5,67,3\n")
    assert cli.main(["--env", "dev", "--raw", str(raw), "--output-dir", str(tmp_path / "out"), "--no-upload"]) == 2
    assert "line 2: expected 6 comma-separated fields" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_prints_the_accounting(tmp_path, capsys):
    assert cli.main(["--env", "dev", "--output-dir", str(tmp_path), "--no-upload"]) == 0
    out = capsys.readouterr().out
    assert "read 961 records" in out
    assert "total 961 of 961" in out
    assert out.count("outside its documented range; treated as missing") == 17


def test_cli_uploads_to_the_data_layout(dev_session, dev_config, tmp_path, capsys):
    bucket = dev_config.workload.data_bucket_name
    s3 = dev_session.client("s3")
    s3.create_bucket(Bucket=bucket)
    assert cli.main(["--env", "dev", "--output-dir", str(tmp_path)]) == 0
    stored = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert stored == set(S3_KEYS.values()) == {
        "data/train/part1/mammo-train-dataset-part1.csv", "data/train/part2/mammo-train-dataset-part2.csv",
        "data/batch/clean/mammo-batch-dataset.csv", "data/batch/outliers/mammo-batch-dataset-outliers.csv"}
    body = s3.get_object(Bucket=bucket, Key=S3_KEYS[BATCH])["Body"].read()
    assert body == (tmp_path / BATCH).read_bytes()
    assert f"uploaded s3://{bucket}/data/batch/clean/mammo-batch-dataset.csv" in capsys.readouterr().out


def test_cli_upload_without_the_bucket_exits_1_naming_it(aws, dev_config, tmp_path, capsys):
    assert cli.main(["--env", "dev", "--output-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"uploading to s3://{dev_config.workload.data_bucket_name}: AWS answered NoSuchBucket" in err
    assert (tmp_path / BATCH).exists()  # the local files are kept


@pytest.mark.parametrize(("make", "message"), [
    (lambda path: path.write_bytes(b"5,67,3,5,3,1\n\xff\xfe,43,1,1,?,1\n"),
     "raw data file is not UTF-8 text (byte 13: invalid start byte): save it as UTF-8"),
    (lambda path: path.mkdir(), "is a directory; give the path of the raw data file"),
])
def test_cli_names_an_unreadable_raw_file_with_exit_2(tmp_path, capsys, make, message):
    raw = tmp_path / "raw.data"
    make(raw)
    assert cli.main(["--env", "dev", "--raw", str(raw), "--output-dir", str(tmp_path / "out"), "--no-upload"]) == 2
    assert capsys.readouterr().err == f"prepare-data: error: {raw}: {message}\n"
    assert not (tmp_path / "out").exists()
