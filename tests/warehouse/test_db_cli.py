"""`mlops-local db up|status|down` against the session's local stack: a real PostgreSQL under MLOPS_LOCAL_DIR,
the UCI data loaded, the reader's connection stored in each workload account's warehouse secret."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from localaws.cli import main
from localaws.tools.stack import write_state
from localaws.tools.warehouse import TABLE, observed_on
from pipelines.aws import session_for_account
from pipelines.config import load_config
from pipelines.errors import EXIT_LOCAL_STACK_UNAVAILABLE, EXIT_OK, EXIT_USAGE

from .conftest import reachable_temp_dir


@pytest.fixture
def local_dir(aws, monkeypatch, require_postgresql):
    """MLOPS_LOCAL_DIR with the session's stack recorded as `mlops-local up` records it; the warehouse stopped
    after the test whatever happened."""
    directory = reachable_temp_dir("mlops-local-db-")
    monkeypatch.setenv("MLOPS_LOCAL_DIR", str(directory))
    write_state(aws.endpoint, aws.pid)
    yield directory
    main(["db", "down"])
    shutil.rmtree(directory, ignore_errors=True)


def create_secrets() -> dict[str, object]:
    """The secrets Terraform creates (empty), one per workload account; their clients."""
    clients = {}
    for environment in ("dev", "prod"):
        config = load_config(environment)
        client = session_for_account(config.account_id, config.aws_region).client("secretsmanager")
        client.create_secret(Name=config.workload.pipeline.training_data.warehouse.secret_name)
        clients[environment] = (client, config.workload.pipeline.training_data.warehouse.secret_name)
    return clients


def postmasters_of(directory: Path) -> list[int]:
    """Running PostgreSQL servers whose data folder is under `directory` (their command line names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                arguments = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if "postgres" in arguments and str(directory) in arguments:
                found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_up_loads_the_data_and_stores_the_connection_down_stops_the_server(local_dir, capsys):
    assert main(["db", "status"]) == EXIT_LOCAL_STACK_UNAVAILABLE
    assert capsys.readouterr().out.startswith("not running")
    clients = create_secrets()

    assert main(["db", "up"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "warehouse running at 127.0.0.1:" in out
    assert "secret mammo-warehouse-connection (prod, 333333333333)" in out
    # staging's Terraform is not applied here: its secret is left out and named, never created by `db up`
    assert ("not stored: secret mammo-warehouse-connection does not exist in staging (444444444444) yet; after "
            "`mlops-infra apply --env staging --local`, run `mlops-local db up` again") in out
    assert main(["db", "status"]) == EXIT_OK
    stored = [json.loads(client.get_secret_value(SecretId=name)["SecretString"]) for client, name in clients.values()]
    assert stored[0] == stored[1]
    connection = stored[0]
    with psycopg.connect(host=connection["host"], port=connection["port"], dbname=connection["dbname"],
                         user=connection["username"], password=connection["password"]) as session:
        query = sql.SQL("SELECT count(*), min(observed_on), max(observed_on) FROM {}").format(sql.Identifier(TABLE))
        assert session.execute(query).fetchone() == (961, observed_on(1), observed_on(961))
    assert postmasters_of(local_dir)

    assert main(["db", "up"]) == EXIT_OK  # idempotent: the same server, the data loaded again
    assert json.loads(clients["dev"][0].get_secret_value(SecretId=clients["dev"][1])["SecretString"]) == connection

    capsys.readouterr()
    assert main(["db", "down"]) == EXIT_OK
    assert capsys.readouterr().out == "warehouse stopped\n"
    assert postmasters_of(local_dir) == []
    assert main(["db", "status"]) == EXIT_LOCAL_STACK_UNAVAILABLE
    assert main(["db", "down"]) == EXIT_OK
    assert capsys.readouterr().out.endswith("warehouse is not running\n")


def test_up_without_the_secrets_starts_nothing(local_dir, capsys):
    assert main(["db", "up"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err == ("mlops-local: error: secret 'mammo-warehouse-connection' does not exist in the dev account "
                   "(222222222222): apply its Terraform first (mlops-infra apply --env dev --local), which creates "
                   "it\n")
    assert not (local_dir / "warehouse").exists()


def test_up_for_a_named_environment_whose_secret_is_missing_starts_nothing(local_dir, capsys):
    create_secrets()
    assert main(["db", "up", "--env", "dev", "--env", "staging"]) == EXIT_USAGE
    assert capsys.readouterr().err == (
        "mlops-local: error: secret 'mammo-warehouse-connection' does not exist in the staging account "
        "(444444444444): apply its Terraform first (mlops-infra apply --env staging --local), which creates it\n")
    assert not (local_dir / "warehouse").exists()


def test_up_for_named_environments_stores_only_theirs(local_dir, capsys):
    clients = create_secrets()
    assert main(["db", "up", "--env", "dev"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "secret mammo-warehouse-connection (dev, 222222222222)" in out
    assert "(prod," not in out
    assert "not stored" not in out
    assert "SecretString" in clients["dev"][0].get_secret_value(SecretId=clients["dev"][1])
    prod, name = clients["prod"]
    with pytest.raises(prod.exceptions.ResourceNotFoundException):  # created empty, as Terraform does
        prod.get_secret_value(SecretId=name)


def test_a_bad_subcommand_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["db", "start"])
    assert exit_info.value.code == EXIT_USAGE
    assert capsys.readouterr().err.splitlines()[-1] == (
        "mlops-local db: error: argument up|down|status: invalid choice: 'start' (choose from 'up', 'down', 'status')")
