"""No `mlops-local` command destroys state silently: `up` re-attaches to the folder's running server whatever
`stack.json` says, `down` says what it keeps, `reset` and `snapshot restore` ask and keep a backup, `status` shows
the state; a state `up` must not load is refused with exit 2 and the fix named."""

from __future__ import annotations

import json

import boto3

from localaws.persistence import layout
from pipelines.aws import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY
from pipelines.errors import EXIT_USAGE

from .test_cli import _run, local_dir  # noqa: F401 - the fixture

BUCKETS = ("kept-bucket", "later-bucket")


def _s3(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=FAKE_ACCESS_KEY_ID, aws_secret_access_key=FAKE_SECRET_ACCESS_KEY)


def _up(local_dir) -> tuple[str, int]:  # noqa: F811
    result = _run("up")
    assert result.returncode == 0, result.stderr
    record = json.loads((local_dir / "stack.json").read_text())
    return record["endpoint"], record["pid"]


def _buckets(endpoint: str) -> list[str]:
    return sorted(bucket["Name"] for bucket in _s3(endpoint).list_buckets()["Buckets"])


def test_up_with_a_corrupt_record_re_attaches_to_the_running_stack(local_dir):  # noqa: F811
    endpoint, pid = _up(local_dir)
    _s3(endpoint).create_bucket(Bucket=BUCKETS[0])
    original = json.loads((local_dir / "stack.json").read_text())
    (local_dir / "stack.json").write_text("{")

    again = _run("up")

    assert again.returncode == 0, again.stderr
    assert "re-attached" in again.stdout
    # The whole record comes back, the management token included: the stack's own routes still answer the tools.
    assert json.loads((local_dir / "stack.json").read_text()) == original
    assert (original["endpoint"], original["pid"]) == (endpoint, pid)
    assert _run("clock", "advance", "1m").returncode == 0
    assert _buckets(endpoint) == [BUCKETS[0]]


def test_state_survives_down_and_up_and_snapshots_return_to_it(local_dir):  # noqa: F811
    endpoint, _ = _up(local_dir)
    _s3(endpoint).create_bucket(Bucket=BUCKETS[0])
    saved = _run("snapshot", "save", "one-bucket")
    assert saved.returncode == 0, saved.stderr
    _s3(endpoint).create_bucket(Bucket=BUCKETS[1])
    status = _run("status")
    assert "s3 2" in status.stdout, status.stdout

    refused = _run("snapshot", "restore", "one-bucket", "--yes")  # the stack is running: nothing replaced
    assert refused.returncode != 0
    assert "mlops-local down" in refused.stderr

    down = _run("down")
    assert "state is kept in" in down.stdout
    endpoint, _ = _up(local_dir)
    assert _buckets(endpoint) == sorted(BUCKETS)
    _run("down")

    restored = _run("snapshot", "restore", "one-bucket", "--yes")
    assert restored.returncode == 0, restored.stderr
    backups = list((local_dir / "backups").iterdir())
    assert len(backups) == 1
    endpoint, _ = _up(local_dir)
    assert _buckets(endpoint) == [BUCKETS[0]]


def test_reset_asks_names_what_goes_and_keeps_a_backup(local_dir):  # noqa: F811
    endpoint, _ = _up(local_dir)
    _s3(endpoint).create_bucket(Bucket=BUCKETS[0])
    _run("down")

    unanswered = _run("reset")  # no terminal: no answer is no
    assert unanswered.returncode == EXIT_USAGE
    assert "s3 1" in unanswered.stdout
    assert layout.state_file(local_dir / "state").exists()

    reset = _run("reset", "--yes")
    assert reset.returncode == 0, reset.stderr
    (backup,) = (local_dir / "backups").iterdir()
    assert layout.state_file(backup).exists()
    endpoint, _ = _up(local_dir)
    assert _buckets(endpoint) == []


def test_up_refuses_a_damaged_state_with_exit_2_and_changes_nothing(local_dir):  # noqa: F811
    endpoint, _ = _up(local_dir)
    _s3(endpoint).create_bucket(Bucket=BUCKETS[0])
    _run("down")
    path = layout.state_file(local_dir / "state")
    path.write_bytes(path.read_bytes()[:-10])
    damaged = path.read_bytes()

    up = _run("up")

    assert up.returncode == EXIT_USAGE
    assert "mlops-local reset" in up.stderr
    assert path.read_bytes() == damaged
    assert not (local_dir / "stack.json").exists()


def test_up_no_durable_keeps_nothing_and_says_so(local_dir):  # noqa: F811
    endpoint, _ = _up(local_dir)
    _s3(endpoint).create_bucket(Bucket=BUCKETS[0])
    assert _run("down").returncode == 0
    volatile = _run("up", "--no-durable")
    assert volatile.returncode == 0, volatile.stderr
    assert "durable state off" in volatile.stdout
    endpoint = json.loads((local_dir / "stack.json").read_text())["endpoint"]
    assert _buckets(endpoint) == []  # the saved state is not loaded...
    _s3(endpoint).create_bucket(Bucket=BUCKETS[1])
    assert "durable state: off" in _run("status").stdout
    refused = _run("snapshot", "save", "volatile")
    assert refused.returncode == EXIT_USAGE
    assert "--no-durable" in refused.stderr
    assert _run("down").returncode == 0
    endpoint, _ = _up(local_dir)
    assert _buckets(endpoint) == [BUCKETS[0]]  # ...nor changed
    assert _run("down").returncode == 0
