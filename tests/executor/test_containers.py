"""Container emulation: the job's folder is /opt/ml for the process (mount namespace), the fallback without
namespaces, the run-time limit, and the XGBoost model format of each image version."""

from __future__ import annotations

import json
import logging
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent

import numpy as np
import pytest
import xgboost as xgb

from localaws.sagemaker_pipelines import containers
from localaws.sagemaker_pipelines.errors import StepFailed
from localaws.sagemaker_pipelines.steps.training import image_version, save_model

# Written as published SageMaker scripts are: no path arguments at all.
HARD_CODED = dedent("""
    import glob, json, os
    rows = sum(len(open(path).read().splitlines()) for path in glob.glob("/opt/ml/processing/input/*.csv"))
    with open("/opt/ml/processing/output/result.json", "w") as stream:
        json.dump({"rows": rows, "cwd": os.getcwd(), "uid": os.getuid()}, stream)
    open("relative.txt", "w").write("written in the working directory")
""")


@pytest.fixture
def job(tmp_path) -> containers.ContainerPaths:
    paths = containers.ContainerPaths(tmp_path / "container")
    paths.local("/opt/ml/processing/input").mkdir(parents=True)
    paths.local("/opt/ml/processing/output").mkdir(parents=True)
    paths.local("/opt/ml/processing/input/data.csv").write_text("1,2\n3,4\n5,6\n")
    paths.local("/opt/ml/processing/input/code").mkdir()
    paths.local("/opt/ml/processing/input/code/script.py").write_text(HARD_CODED)
    return paths


def run(paths: containers.ContainerPaths, work_dir: Path, **options) -> dict:
    containers.run_script(["python3", "/opt/ml/processing/input/code/script.py"], [], {}, paths, work_dir,
                          **options)
    return json.loads(paths.local("/opt/ml/processing/output/result.json").read_text())


def test_a_script_with_hard_coded_paths_sees_the_jobs_folder_as_opt_ml(job, tmp_path):
    assert containers.namespace_prefix() is not None, "this Linux machine must support mount namespaces"

    result = run(job, tmp_path)

    assert result["rows"] == 3
    assert result["cwd"] == "/opt/ml/processing"
    assert job.local("/opt/ml/processing/relative.txt").read_text() == "written in the working directory"
    assert not Path("/opt/ml").exists()  # nothing was created on the machine


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder `nobody` can reach (pytest's own are private to their user)."""
    folder = Path(tempfile.mkdtemp(prefix="mlops-userns-"))
    yield folder
    shutil.rmtree(folder)


def test_a_normal_user_gets_the_same_container_view_through_a_user_namespace(shared_tmp):
    """As root this runs the job as `nobody`; as a normal user the test above already did."""
    if os.geteuid() != 0:
        pytest.skip("already a normal user: covered by the test above")
    tmp_path = shared_tmp
    job = containers.ContainerPaths(tmp_path / "container")
    job.local("/opt/ml/processing/input/code").mkdir(parents=True)
    job.local("/opt/ml/processing/output").mkdir(parents=True)
    job.local("/opt/ml/processing/input/data.csv").write_text("1,2\n3,4\n5,6\n")
    job.local("/opt/ml/processing/input/code/script.py").write_text(HARD_CODED)
    for path in (tmp_path, *tmp_path.rglob("*")):
        path.chmod(0o777 if path.is_dir() else 0o666)
    # The container runs the system's Python: this machine's virtualenv may live in a folder of root's.
    python = os.path.realpath("/usr/bin/python3")
    code = ("import json, sys; from pathlib import Path; from localaws.sagemaker_pipelines import containers;"
            "paths = containers.ContainerPaths(Path(sys.argv[1]));"
            "containers.run_script([sys.argv[3], '/opt/ml/processing/input/code/script.py'], [], {}, paths,"
            " Path(sys.argv[2]))")
    completed = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable,
                                "-c", code, str(job.root), str(tmp_path), python],
                               capture_output=True, text=True, check=False, cwd=Path(__file__).parents[2],
                               env={**os.environ, "HOME": str(tmp_path)})

    assert completed.returncode == 0, completed.stderr
    result = json.loads(job.local("/opt/ml/processing/output/result.json").read_text())
    assert result["rows"] == 3
    assert result["cwd"] == "/opt/ml/processing"
    assert result["uid"] == 0  # root inside its user namespace ...
    assert job.local("/opt/ml/processing/relative.txt").stat().st_uid == 65534  # ... its own files outside


def test_without_namespaces_paths_in_arguments_are_remapped_and_it_says_so(job, tmp_path, monkeypatch, caplog):
    containers.namespace_prefix.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))  # no unshare on PATH
    try:
        with caplog.at_level(logging.WARNING, logger=containers.__name__):
            assert containers.namespace_prefix() is None
        [line] = [record.getMessage() for record in caplog.records]
        assert "without a private /opt/ml (no util-linux unshare/setpriv on PATH)" in line
        monkeypatch.setattr(sys, "executable", sys.executable)
        job.local("/opt/ml/processing/input/code/script.py").write_text(
            "import sys; open(sys.argv[1] + '/out.txt', 'w').write('remapped')")
        containers.run_script(["python3", "/opt/ml/processing/input/code/script.py"],
                              ["/opt/ml/processing/output"], {}, job, tmp_path)
        assert job.local("/opt/ml/processing/output/out.txt").read_text() == "remapped"
    finally:
        containers.namespace_prefix.cache_clear()


def test_a_job_over_its_max_runtime_is_ended_and_fails_with_the_reason(job, tmp_path):
    job.local("/opt/ml/processing/input/code/script.py").write_text(
        "import time, os; open('/opt/ml/processing/output/pid', 'w').write(str(os.getpid())); time.sleep(60)")

    with pytest.raises(StepFailed) as failed:
        containers.run_script(["python3", "/opt/ml/processing/input/code/script.py"], [], {}, job, tmp_path,
                              max_runtime=1)

    assert failed.value.reason == containers.MAX_RUNTIME_REASON
    pid = int(job.local("/opt/ml/processing/output/pid").read_text())
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


@pytest.mark.parametrize(("image", "version"), [
    ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.0-1-cpu-py3", (1, 0, 1)),
    ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:0.90-2-cpu-py3", (0, 90, 2)),
    ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", (1, 7, 1)),
    ("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost@sha256:abc", None),
])
def test_the_image_version_comes_from_the_tag(image, version):
    assert image_version(image) == version


@pytest.fixture(scope="module")
def booster() -> xgb.Booster:
    features = np.arange(40, dtype=np.float32).reshape(20, 2)
    return xgb.train({"objective": "reg:squarederror"}, xgb.DMatrix(features, label=features[:, 0]), 3)


@pytest.mark.parametrize("version", [(0, 90, 2), (1, 0, 1), (1, 2, 2)])
def test_images_before_1_3_1_pickle_the_booster(booster, tmp_path, version):
    save_model(booster, tmp_path / "xgboost-model", version)

    loaded = pickle.loads((tmp_path / "xgboost-model").read_bytes())  # noqa: S301 - the test's own file
    assert loaded.num_boosted_rounds() == 3


@pytest.mark.parametrize("version", [(1, 3, 1), (1, 7, 1), None])
def test_images_from_1_3_1_on_write_xgboosts_own_format(booster, tmp_path, version):
    save_model(booster, tmp_path / "xgboost-model", version)

    with pytest.raises(pickle.UnpicklingError, match=r"invalid load key, '\{'"):  # UBJSON's opening byte
        pickle.loads((tmp_path / "xgboost-model").read_bytes())  # noqa: S301 - the test's own file
    loaded = xgb.Booster()
    loaded.load_model(str(tmp_path / "xgboost-model"))
    assert loaded.num_boosted_rounds() == 3
