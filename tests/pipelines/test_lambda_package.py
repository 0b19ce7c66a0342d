"""The Lambda zip Terraform deploys: byte-identical builds, the handlers at the archive root with the project
modules they import, fixed metadata."""

import ast
import hashlib
import zipfile

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
        assert [member.filename for member in members] == [
            "latest_approved_model.py", "pipeline_alert.py",
            "pipelines/__init__.py", "pipelines/model_registry.py", "pipelines/s3_uri.py"]
        for member in members:
            assert member.date_time == (1980, 1, 1, 0, 0, 0)
            assert (member.external_attr >> 16) & 0o777 == 0o644
            assert archive.read(member) == MEMBERS[member.filename].read_bytes()


def test_every_project_module_a_handler_imports_is_in_the_zip(tmp_path):
    # The local stack's Lambda runtime imports from the server's own environment, where the whole project is
    # installed, so a module missing from the zip would only fail in AWS: check the archive's import closure.
    with zipfile.ZipFile(build_lambda_zip(tmp_path)) as archive:
        names = set(archive.namelist())
        imported = set()
        for name in names:
            for node in ast.walk(ast.parse(archive.read(name))):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    imported.add(node.module)
                    imported.update(f"{node.module}.{alias.name}" for alias in node.names)
                elif isinstance(node, ast.Import):
                    imported.update(alias.name for alias in node.names)
    project = {module for module in imported if module.split(".")[0] == "pipelines"}
    assert "pipelines.model_registry" in project
    for module in project:
        path = module.replace(".", "/")
        assert f"{path}.py" in names or f"{path}/__init__.py" in names or \
            module.rpartition(".")[0].replace(".", "/") + ".py" in names, f"{module} is not in the Lambda zip"
