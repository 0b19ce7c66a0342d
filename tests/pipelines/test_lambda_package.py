"""The Lambda zips Terraform deploys: one per function, holding the handler at the archive root and exactly the
project modules it imports; byte-identical builds with fixed metadata; each handler loads from its zip alone."""

import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest

from pipelines.lambdas import package
from pipelines.lambdas.package import FUNCTIONS, LambdaPackageError, build_lambda_zip, build_lambda_zips, zip_members

REGISTRY_READER = ["pipelines/__init__.py", "pipelines/model_registry.py", "pipelines/s3_uri.py"]
EXPECTED_MEMBERS = {
    "latest_approved_model": ["latest_approved_model.py", *REGISTRY_READER],
    "pipeline_alert": ["pipeline_alert.py", *REGISTRY_READER],
    # The refresh plans endpoint updates (hosting) with the deployment strategies of the config package, whose
    # loader reads files through pipelines.files.
    "endpoint_refresh": ["endpoint_refresh.py", "pipelines/__init__.py",
                         *(f"pipelines/config/{name}.py" for name in ("__init__", "accounts", "fields", "jenkins",
                                                                      "loader", "regions", "registry", "serving",
                                                                      "workload")),
                         "pipelines/endpoints/__init__.py", "pipelines/endpoints/hosting.py",
                         "pipelines/endpoints/refresh.py", "pipelines/errors.py", "pipelines/files.py",
                         "pipelines/model_registry.py", "pipelines/s3_uri.py"],
}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_zip_holds_its_handler_and_exactly_the_project_modules_it_imports(tmp_path, function):
    with zipfile.ZipFile(build_lambda_zip(function, tmp_path)) as archive:
        members = archive.infolist()
        assert [member.filename for member in members] == EXPECTED_MEMBERS[function]
        sources = zip_members(function)
        for member in members:
            assert member.date_time == (1980, 1, 1, 0, 0, 0)
            assert (member.external_attr >> 16) == 0o100644
            assert archive.read(member) == sources[member.filename].read_bytes()


def test_the_zips_are_byte_identical_across_builds(tmp_path):
    first, second = build_lambda_zips(tmp_path / "a"), build_lambda_zips(tmp_path / "b")
    names = sorted(path.name for path in first.iterdir())
    assert names == sorted(f"{function}.zip" for function in FUNCTIONS)
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_a_rebuild_in_place_writes_the_same_bytes_and_leaves_nothing_else(tmp_path):
    before = {path.name: path.read_bytes() for path in build_lambda_zips(tmp_path).iterdir()}
    after = {path.name: path.read_bytes() for path in build_lambda_zips(tmp_path).iterdir()}
    assert after == before


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_handler_loads_from_its_zip_alone(tmp_path, function):
    """Only the zip, the standard library and boto3's folder on sys.path (-I -S: no site, no editable install of
    the project), as in the Lambda runtime: every project module the handler imports must come from the zip."""
    archive = build_lambda_zip(function, tmp_path)
    boto3_folder = str(Path(boto3.__file__).parent.parent)
    check = (f"import sys; sys.path[:0] = [{str(archive)!r}]; sys.path.append({boto3_folder!r}); "
             f"import {function}; assert callable({function}.handler); "
             "print('\\n'.join(sorted(f'{m.__name__} {m.__file__}' for m in list(sys.modules.values()) "
             "if m.__name__.partition('.')[0] == 'pipelines')))")
    result = subprocess.run([sys.executable, "-I", "-S", "-c", check], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    loaded = [line.split() for line in result.stdout.splitlines()]
    assert loaded
    assert all(file.startswith(str(archive) + "/") for _, file in loaded), loaded


def test_a_handler_importing_what_the_runtime_lacks_is_refused(tmp_path, monkeypatch):
    (tmp_path / "uses_numpy.py").write_text("import numpy\n\n\ndef handler(event, context):\n    return 1\n")
    monkeypatch.setattr(package, "LAMBDAS_DIR", tmp_path)
    monkeypatch.setattr(package, "FUNCTIONS", ("uses_numpy",))
    with pytest.raises(LambdaPackageError, match=r"uses_numpy\.py: imports numpy, which the Lambda runtime does not"):
        zip_members("uses_numpy")
