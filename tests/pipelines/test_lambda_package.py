"""The Lambda zip Terraform deploys: byte-identical builds, the handlers at the archive root, fixed metadata, and
the library the endpoint refresh handler imports, complete."""

import hashlib
import subprocess
import sys
import zipfile

from pipelines.inference.lambda_package import ALERTS_DIR, ENDPOINTS_DIR, PACKAGE_ROOT, SCRIPTS_DIR, build_lambda_zip


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
        handlers = [member for member in members if "/" not in member.filename]
        assert [member.filename for member in handlers] == [
            "endpoint_refresh.py", "latest_approved_model.py", "pipeline_alert.py"]
        for member, source in zip(handlers, (ENDPOINTS_DIR / "scripts", SCRIPTS_DIR, ALERTS_DIR), strict=True):
            assert archive.read(member) == (source / member.filename).read_bytes()
        for member in members:
            assert member.date_time == (1980, 1, 1, 0, 0, 0)
            assert (member.external_attr >> 16) & 0o777 == 0o644
            if "/" in member.filename:
                assert archive.read(member) == (PACKAGE_ROOT.parent / member.filename).read_bytes()
        assert [member.filename for member in members] == sorted(member.filename for member in members)


def test_the_refresh_handler_imports_from_the_zip_alone(tmp_path):
    """Unpacked as in /var/task and first on sys.path, the handler and everything it imports come from the zip
    (a module missing from the zip would be found in this checkout instead: the check fails then)."""
    with zipfile.ZipFile(build_lambda_zip(tmp_path)) as archive:
        archive.extractall(tmp_path / "task")
    task = tmp_path / "task"
    check = (f"import sys; sys.path.insert(0, {str(task)!r}); import endpoint_refresh; "
             "outside = sorted(m.__file__ for m in list(sys.modules.values()) if (getattr(m, '__name__', '') + '.')"
             ".startswith('pipelines.') and not str(getattr(m, '__file__', '')).startswith("
             f"{str(task)!r})); print(outside); assert not outside, outside; print(endpoint_refresh.handler)")
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
