"""The Lambda zip Terraform deploys: byte-identical builds, the handlers at the archive root, fixed metadata."""

import hashlib
import zipfile

from pipelines.inference.lambda_package import ALERTS_DIR, SCRIPTS_DIR, build_lambda_zip


def test_zip_is_byte_identical_across_builds(tmp_path):
    first = build_lambda_zip(tmp_path / "a")
    second = build_lambda_zip(tmp_path / "b")
    assert hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()


def test_rebuild_in_place_overwrites_with_same_bytes(tmp_path):
    first = build_lambda_zip(tmp_path).read_bytes()
    again = build_lambda_zip(tmp_path)
    assert again.read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest_approved_model.zip"]


def test_handlers_at_root_with_fixed_metadata(tmp_path):
    with zipfile.ZipFile(build_lambda_zip(tmp_path)) as archive:
        members = archive.infolist()
        assert [member.filename for member in members] == ["latest_approved_model.py", "pipeline_alert.py"]
        for member, source in zip(members, (SCRIPTS_DIR, ALERTS_DIR), strict=True):
            assert member.date_time == (1980, 1, 1, 0, 0, 0)
            assert (member.external_attr >> 16) & 0o777 == 0o644
            assert archive.read(member) == (source / member.filename).read_bytes()
