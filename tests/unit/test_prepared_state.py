"""`support.prepared.build_once`: what several test processes (xdist workers) ask for at once is built by one of
them; the others wait and reuse it, or fail with its error when the build failed."""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from pathlib import Path

import pytest
from support.prepared import PreparedStateFailed, build_once


def _build(folder: Path) -> dict:
    with open(folder.parent / "builds.log", "a") as log:
        log.write(f"{os.getpid()}\n")
    time.sleep(0.5)  # the other processes arrive meanwhile and must wait
    (folder / "made").write_text(str(os.getpid()))
    return {"builder": os.getpid()}


def _ask(folder: Path, answers: Path) -> None:
    (answers / str(os.getpid())).write_text(json.dumps(build_once(folder, _build)))


def test_processes_asking_at_once_share_one_build(tmp_path):
    folder, answers = tmp_path / "shared", tmp_path / "answers"
    answers.mkdir()
    fork = multiprocessing.get_context("fork")  # the test process has imported everything already
    processes = [fork.Process(target=_ask, args=(folder, answers)) for _ in range(3)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [process.exitcode for process in processes] == [0, 0, 0]
    [builder] = (tmp_path / "builds.log").read_text().split()
    assert {path.read_text() for path in answers.iterdir()} == {json.dumps({"builder": int(builder)})}
    assert len(list(answers.iterdir())) == 3
    assert (folder / "made").read_text() == builder


def test_a_failed_build_is_not_run_again_and_every_caller_gets_its_error(tmp_path):
    calls = []

    def broken(folder: Path) -> dict:
        calls.append(folder)
        raise RuntimeError("terraform apply failed: the registry account")

    with pytest.raises(RuntimeError, match="the registry account"):
        build_once(tmp_path / "shared", broken)
    with pytest.raises(PreparedStateFailed, match=r"failed earlier in this run:(.|\n)*the registry account"):
        build_once(tmp_path / "shared", broken)
    assert len(calls) == 1
