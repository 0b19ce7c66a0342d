"""Definitions are pure: no network or AWS call while building, byte-identical, content-addressed code."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
import botocore.client
import pytest

from pipelines.config import ENVIRONMENTS_DIR, load_config
from pipelines.definitions import build_pipeline, definition_json_for, definition_session
from pipelines.sdk_quiet import DefinitionOnlyBotoSession, RefusingClient, offline_sdk
from pipelines.train import pipeline as train_pipeline

ACCOUNTS = load_config("registry").accounts  # the registry file lists every account

MODULES = ("pipelines.train.pipeline", "pipelines.inference.pipeline")


@pytest.fixture
def no_network(monkeypatch):
    """Every way out of the process fails loudly, and every attempt is recorded."""
    attempts = []
    # No credentials anywhere: a credential lookup would go on to the instance metadata service (a socket).
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_EC2_METADATA_DISABLED", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)

    def refuse(what):
        def refused(*args, **kwargs):
            attempts.append((what, args[:2]))
            raise OSError(f"network access during a definition build: {what}")
        return refused

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("socket.create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("socket.getaddrinfo"))
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", refuse("AWS API call"))
    return attempts


def test_both_definitions_build_with_all_network_blocked(no_network):
    built = [build_pipeline(module, "dev", {}) for module in MODULES]
    assert no_network == []
    assert [b.name for b in built] == ["mammo-train", "mammo-batch-inference"]
    for b in built:
        assert json.loads(b.definition)["Steps"]


def test_two_builds_are_byte_identical(no_network):
    for module in MODULES:
        assert build_pipeline(module, "dev", {}).definition == build_pipeline(module, "dev", {}).definition


@pytest.mark.parametrize("module", MODULES)
def test_a_build_leaves_the_process_as_it_found_it(no_network, module):
    """offline_sdk swaps boto3's sessions, the role check and the SDK's log levels for the build only (a ModelBuilder
    sets its module's logger to DEBUG), and adds no log handler."""
    root, builder_logger = logging.getLogger(), logging.getLogger("sagemaker.core.utils.utils")

    def state():
        return (list(root.handlers), root.level, builder_logger.level, boto3.DEFAULT_SESSION, boto3.Session,
                logging.basicConfig, os.environ.get("SAGEMAKER_VALIDATE_ROLE"))

    before = state()
    build_pipeline(module, "dev", {})
    assert state() == before


def test_a_build_logs_nothing_below_error(caplog):
    with caplog.at_level(logging.DEBUG):
        for module in MODULES:
            build_pipeline(module, "dev", {})
    assert [record for record in caplog.records if record.name.startswith("sagemaker")
            and record.levelno < logging.ERROR] == []


def test_only_the_building_thread_is_offline(monkeypatch):
    """While one thread builds, the process's other threads (a stack, a client) keep real boto3 sessions, and a
    default session one of them creates stays the process's."""
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    real_session = boto3.session.Session
    with offline_sdk("eu-west-1"):
        assert isinstance(boto3.Session(), DefinitionOnlyBotoSession)
        assert isinstance(boto3.client("s3"), RefusingClient)
        with ThreadPoolExecutor(max_workers=1) as pool:
            session = pool.submit(boto3.Session, region_name="us-east-1").result()
            client = pool.submit(boto3.client, "s3", region_name="us-east-1").result()
    assert isinstance(session, real_session)
    assert session.region_name == "us-east-1"
    assert isinstance(client, botocore.client.BaseClient)
    assert isinstance(boto3.DEFAULT_SESSION, real_session)
    assert boto3.Session is real_session


def test_importing_the_pipelines_adds_no_root_log_handler():
    """SDK v3 calls logging.basicConfig when imported: the process that imports the platform keeps its logging."""
    probe = ("import logging, pipelines.train.pipeline, pipelines.inference.pipeline; "
             "root = logging.getLogger(); print(len(root.handlers), root.level)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                            env={key: value for key, value in os.environ.items() if not key.startswith("AWS_")})
    assert result.stdout.split() == ["0", str(logging.WARNING)]


def test_the_platforms_sdk_config_is_validated_once_not_at_every_lookup(monkeypatch):
    """v3 validates the session's SDK config against its JSON schema at each of the ~80 lookups of a build."""
    import jsonschema

    build_pipeline(MODULES[0], "dev", {})
    validations = []
    monkeypatch.setattr(jsonschema, "validate", lambda *args, **kwargs: validations.append(args))
    build_pipeline(MODULES[0], "dev", {})
    assert validations == []


def test_a_build_after_one_that_failed_inside_a_step_is_unchanged(no_network):
    clean = build_pipeline("pipelines.inference.pipeline", "dev", {}).definition
    # What a model registration that raised halfway leaves in the thread's definition session.
    definition_session(load_config("dev")).init_model_step_arguments(object())
    assert build_pipeline("pipelines.inference.pipeline", "dev", {}).definition == clean


def test_each_thread_builds_with_its_own_definition_session():
    config = load_config("dev")
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(definition_session, config).result() is not definition_session(config)
    assert definition_session(config) is definition_session(config)


def leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path, value


def test_editing_a_script_changes_only_its_code_uri(tmp_path, monkeypatch):
    before = build_pipeline(MODULES[0], "dev", {})
    edited = tmp_path / "preprocess.py"
    edited.write_text(train_pipeline.PREPROCESS_SCRIPT.read_text() + "\n# an edit\n")
    monkeypatch.setattr(train_pipeline, "PREPROCESS_SCRIPT", edited)
    after = build_pipeline(MODULES[0], "dev", {})

    old, new = dict(leaves(json.loads(before.definition))), dict(leaves(json.loads(after.definition)))
    assert old.keys() == new.keys()
    changed = {path: (old[path], new[path]) for path in old if old[path] != new[path]}
    [(old_uri, new_uri)] = changed.values()
    assert old_uri.endswith("/preprocess.py")
    assert new_uri.endswith("/preprocess.py")
    assert old_uri.split("/")[:4] == new_uri.split("/")[:4] == ["s3:", "", f"mammo-data-{ACCOUNTS.dev}", "code"]
    uploads = {asset.path.name: asset.s3_uri for asset in after.code_assets}
    assert uploads["preprocess.py"] == new_uri
    assert uploads["evaluate.py"] == {a.path.name: a.s3_uri for a in before.code_assets}["evaluate.py"]


def test_a_fresh_interpreter_with_another_hash_seed_prints_the_same_bytes(tmp_path):
    # Set or dict ordering that depended on string hashing would show here and not within one process.
    target = tmp_path / "train.json"
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-m", "pipelines.cli.get_pipeline_definition", "--env", "dev",
                    "--pipeline", "train", "--output", str(target)], check=True, env=environment, capture_output=True)
    assert target.read_text() == build_pipeline(MODULES[0], "dev", {}).definition


def test_the_warehouse_source_builds_offline_byte_identical_with_content_addressed_code(no_network, tmp_path):
    """The FrameworkProcessor's sourcedir.tar.gz and runproc.sh are built here, not uploaded by the SDK."""
    import hashlib
    import io
    import tarfile

    source = json.loads((ENVIRONMENTS_DIR / "dev.tfvars.json").read_text())
    source["workload"]["pipeline"]["training_data"]["source"] = "warehouse"
    (tmp_path / "dev.tfvars.json").write_text(json.dumps(source))
    config = load_config("dev", tmp_path)
    first, second = (definition_json_for(train_pipeline.build(config)) for _ in range(2))
    assert no_network == []
    assert first == second
    bundle, runproc = train_pipeline.code_assets(config)[-2:]
    for asset in (bundle, runproc):
        assert asset.key.split("/")[1] == hashlib.sha256(asset.body).hexdigest()
        assert asset.s3_uri in first
    with tarfile.open(fileobj=io.BytesIO(bundle.body)) as archive:
        assert sorted(archive.getnames()) == ["extract.py", "install_requirements.py", "requirements.txt"]
        requirements = archive.extractfile("requirements.txt").read().decode()
    # The job's pin is the project's: the local executor runs the job on the project's environment.
    assert requirements.splitlines() == ["psycopg[binary]==3.3.9"]
    assert "psycopg[binary]==3.3.9" in (ENVIRONMENTS_DIR.parent / "requirements-local.txt").read_text().splitlines()
    assert "python3 extract.py \"$@\"" in runproc.body.decode()
    assert train_pipeline.source_dir_asset(config, train_pipeline.EXTRACT_SOURCE_DIR, extra={
        "install_requirements.py": train_pipeline.INSTALL_REQUIREMENTS}) == bundle
