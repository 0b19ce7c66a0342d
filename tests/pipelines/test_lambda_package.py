"""The Lambda zip Terraform deploys: byte-identical builds, the handlers at the archive root, fixed metadata, and
the project modules the handlers import, complete."""

import hashlib
import subprocess
import sys
import zipfile

import pytest

from pipelines.inference.lambda_package import MEMBERS, build_lambda_zip


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
        handlers = [member.filename for member in members if "/" not in member.filename]
        assert handlers == ["endpoint_refresh.py", "latest_approved_model.py", "pipeline_alert.py"]
        for member in members:
            assert member.date_time == (1980, 1, 1, 0, 0, 0)
            assert (member.external_attr >> 16) & 0o777 == 0o644
            assert archive.read(member) == MEMBERS[member.filename].read_bytes()
        assert [member.filename for member in members] == sorted(member.filename for member in members)


@pytest.mark.parametrize("handler", ["endpoint_refresh", "latest_approved_model", "pipeline_alert"])
def test_each_handler_imports_from_the_zip_alone(tmp_path, handler):
    """Unpacked as in /var/task and first on sys.path, the handler and every project module it imports come from
    the zip (the local stack's Lambda runtime runs in the server's environment, where the whole project is
    installed, so only this check catches a module missing from the zip)."""
    with zipfile.ZipFile(build_lambda_zip(tmp_path)) as archive:
        archive.extractall(tmp_path / "task")
    task = tmp_path / "task"
    check = (f"import sys; sys.path.insert(0, {str(task)!r}); import {handler}; "
             "outside = sorted(m.__file__ for m in list(sys.modules.values()) if (getattr(m, '__name__', '') + '.')"
             ".startswith('pipelines.') and not str(getattr(m, '__file__', '')).startswith("
             f"{str(task)!r})); print(outside); assert not outside, outside; print({handler}.handler)")
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
