"""A real PostgreSQL on this machine standing in for the SQL warehouse the train pipeline can read.

Debian's PostgreSQL server (package `postgresql`, binaries under /usr/lib/postgresql/<version>/bin) runs from a
data folder of its own (`mlops-local db` uses `<MLOPS_LOCAL_DIR>/warehouse`), listening on a loopback TCP port
only (no Unix socket), password authentication. The server refuses to run as root (initdb and postgres both
check), so as root every server command runs as the `postgres` user the package creates, which then owns the
folder; it must be able to reach it (no 0700 folder of another user on the way).

`load` creates the table the train pipeline queries and a login role that may only read it:
`mammographic_masses(row_id, observed_on, bi_rads, age, shape, margin, density, severity)`, one row per line of
`data/mammographic_masses.data` (after the rules of data/README.md: out-of-range values are NULL). The date
column is derived from the line number alone, so every load is the same: line n is observed on
2024-01-01 + (n - 1) days (the 961 lines span 2024-01-01 .. 2026-08-18).
"""

from __future__ import annotations

import datetime
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from localaws.tools.stack import free_loopback_port, pid_alive
from pipelines.config import load_config, workload_environments
from pipelines.data.raw import read_raw
from pipelines.errors import LocalStackError, UsageError

TABLE = "mammographic_masses"
READER = "mammo_reader"
ADMIN = "warehouse_admin"
DATABASE = "warehouse"
FIRST_DAY = datetime.date(2024, 1, 1)
SERVER_USER = "postgres"
START_TIMEOUT_SECONDS = 60
CONNECTION_FILE = "connection.json"


@dataclass(frozen=True)
class Connection:
    """Where the warehouse answers and the reader's credentials: the JSON its Secrets Manager secret holds."""

    host: str
    port: int
    dbname: str
    username: str
    password: str

    def secret_string(self) -> str:
        return json.dumps({"engine": "postgres", **asdict(self)}, sort_keys=True)


def observed_on(line: int) -> datetime.date:
    """The deterministic date of the raw file's line `line` (1-based)."""
    return FIRST_DAY + datetime.timedelta(days=line - 1)


def server_binaries() -> Path:
    """The bin folder of the newest installed PostgreSQL server."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                        key=lambda path: int(re.sub(r"\D", "", path.parent.parent.name) or 0))
    if not candidates:
        raise LocalStackError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres): "
                              "apt-get install postgresql")
    return candidates[-1].parent


class LocalWarehouse:
    """The server whose data lives in `directory`: `pgdata/`, `server.log`, `connection.json` (0600)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.data_dir = self.directory / "pgdata"
        self.log_path = self.directory / "server.log"
        self.connection_path = self.directory / CONNECTION_FILE

    # -- the server ---------------------------------------------------------------------------------------------

    def _as_server_user(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", SERVER_USER, "--", *command] if os.geteuid() == 0 else command

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        binary = str(server_binaries() / command[0])
        completed = subprocess.run(self._as_server_user([binary, *command[1:]]), capture_output=True, text=True,
                                   stdin=subprocess.DEVNULL)
        if check and completed.returncode != 0:
            detail = (completed.stderr or completed.stdout).strip().splitlines()
            raise LocalStackError(f"{command[0]} failed (exit {completed.returncode}): "
                                  f"{detail[-1] if detail else 'no output'}; log: {self.log_path}")
        return completed

    def is_running(self) -> bool:
        return self.data_dir.is_dir() and self._run("pg_ctl", "status", "-D", str(self.data_dir),
                                                     check=False).returncode == 0

    def connection(self, admin: bool = False) -> Connection | None:
        """The recorded connection (the reader's, or the admin's), None before the first `start`."""
        try:
            recorded = json.loads(self.connection_path.read_text())
        except (OSError, json.JSONDecodeError):
            return None
        return Connection(**recorded["admin" if admin else "reader"])

    def start(self, port: int) -> Connection:
        """Create the cluster on first use, start the server on `port` (idempotent); the reader's connection."""
        if self.is_running():
            return self.connection()
        self.directory.mkdir(parents=True, exist_ok=True)
        recorded = self.connection(admin=True)
        if not self.data_dir.is_dir():
            recorded = self._initdb(port)
        if os.geteuid() == 0:
            self._give_to_server_user()
        if recorded is None:
            raise LocalStackError(f"{self.connection_path} is missing or unreadable: remove {self.directory} "
                                  "and run `mlops-local db up` again")
        if recorded.port != port:
            recorded = self._record(port, recorded.password, self.connection().password)
        options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        self._run("pg_ctl", "start", "-D", str(self.data_dir), "-l", str(self.log_path), "-w",
                  "-t", str(START_TIMEOUT_SECONDS), "-o", options)
        return self.connection()

    def _initdb(self, port: int) -> Connection:
        admin_password, reader_password = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        if os.geteuid() == 0:
            self._give_to_server_user()
        with tempfile.NamedTemporaryFile("w", dir=self.directory, prefix=".pw-", delete=True) as password_file:
            password_file.write(admin_password + "\n")
            password_file.flush()
            if os.geteuid() == 0:
                shutil.chown(password_file.name, SERVER_USER)
            try:
                self._run("initdb", "-D", str(self.data_dir), "--username", ADMIN, "--pwfile", password_file.name,
                          "--auth", "scram-sha-256", "--encoding", "UTF8", "--locale", "C")
            except LocalStackError:
                shutil.rmtree(self.data_dir, ignore_errors=True)  # a half-made cluster would block the next try
                raise
        return self._record(port, admin_password, reader_password)

    def _record(self, port: int, admin_password: str, reader_password: str) -> Connection:
        admin = Connection("127.0.0.1", port, DATABASE, ADMIN, admin_password)
        reader = Connection("127.0.0.1", port, DATABASE, READER, reader_password)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".connection-", suffix=".json")
        with os.fdopen(handle, "w") as stream:
            stream.write(json.dumps({"admin": asdict(admin), "reader": asdict(reader)}, indent=2) + "\n")
        os.replace(temporary, self.connection_path)
        return reader

    def _give_to_server_user(self) -> None:
        """As root: the server user owns the folder (initdb and postgres run as it)."""
        entry = pwd.getpwnam(SERVER_USER)
        for path in [self.directory, *self.directory.rglob("*")]:
            if path != self.connection_path:
                os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)
        denied = subprocess.run(self._as_server_user(["test", "-w", str(self.directory)]),
                                capture_output=True).returncode
        if denied:
            raise UsageError(f"the {SERVER_USER} user cannot reach {self.directory} (a folder on the way is closed "
                             "to other users): set MLOPS_LOCAL_DIR to a folder it can reach")

    def stop(self) -> bool:
        """Stop the server (fast shutdown) and wait until its process is gone; False when it was not running."""
        if not self.is_running():
            return False
        postmaster = self._postmaster_pid()
        self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", str(START_TIMEOUT_SECONDS))
        # pg_ctl returns once the server removed its pid file, a moment before the process itself exits.
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while postmaster is not None and pid_alive(postmaster) and time.monotonic() < deadline:
            time.sleep(0.05)
        return True

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    # -- the data -----------------------------------------------------------------------------------------------

    def load(self, records) -> int:
        """Replace the table with `records` (pipelines.data.raw.Record) and grant the reader SELECT; the row count."""
        from psycopg import sql

        admin, reader = self.connection(admin=True), self.connection()
        with _connect(admin, "postgres") as connection:
            connection.autocommit = True
            if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone() is None:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        with _connect(admin, DATABASE) as connection, connection.transaction():
            exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (READER,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            # Role passwords cannot be bound parameters (utility statement): quoted as a literal by psycopg.
            connection.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(READER), sql.Literal(reader.password)))
            connection.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(TABLE)))
            connection.execute(sql.SQL(
                "CREATE TABLE {} (row_id integer PRIMARY KEY, observed_on date NOT NULL, bi_rads smallint, "
                "age smallint, shape smallint, margin smallint, density smallint, severity smallint NOT NULL)"
            ).format(sql.Identifier(TABLE)))
            connection.execute(sql.SQL("CREATE INDEX ON {} (observed_on)").format(sql.Identifier(TABLE)))
            with connection.cursor().copy(sql.SQL(
                    "COPY {} (row_id, observed_on, bi_rads, age, shape, margin, density, severity) FROM STDIN"
            ).format(sql.Identifier(TABLE))) as copy:
                for record in records:
                    values = record.values
                    copy.write_row((record.line, observed_on(record.line), values["BI-RADS"], values["Age"],
                                    values["Shape"], values["Margin"], values["Density"], values["Severity"]))
            connection.execute(sql.SQL("REVOKE ALL ON SCHEMA public FROM PUBLIC"))
            connection.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(READER)))
            connection.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(TABLE),
                                                                          sql.Identifier(READER)))
            count = connection.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(TABLE))).fetchone()
        return count[0]


def _connect(connection: Connection, dbname: str):
    import psycopg

    try:
        return psycopg.connect(host=connection.host, port=connection.port, dbname=dbname, user=connection.username,
                               password=connection.password, connect_timeout=10)
    except psycopg.OperationalError as error:
        raise LocalStackError(f"cannot connect to the local warehouse at {connection.host}:{connection.port}: "
                              f"{str(error).strip().splitlines()[-1]}") from None


# -- `mlops-local db`: the warehouse of the local stack, its secret in each workload account -------------------

@dataclass(frozen=True)
class WarehouseSecret:
    environment: str
    account_id: str
    region: str
    secret_name: str


def configured_secrets(environments_dir: Path | None = None,
                       environments: Sequence[str] | None = None) -> list[WarehouseSecret]:
    """The warehouse secrets the workload environment files name (`workload.pipeline.training_data.warehouse`), of
    `environments` (every workload environment when None; a named one that sets no warehouse is an error)."""
    found = []
    for environment in environments if environments is not None else workload_environments(environments_dir):
        config = load_config(environment, environments_dir)
        warehouse = config.require_workload().pipeline.training_data.warehouse
        if warehouse is not None:
            found.append(WarehouseSecret(environment, config.account_id, config.aws_region, warehouse.secret_name))
        elif environments is not None:
            raise UsageError(f"{config.path}: field 'workload.pipeline.training_data.warehouse' is not set: name the "
                             "secret there, or leave --env " + environment + " out")
    return found


@dataclass(frozen=True)
class WarehouseStatus:
    running: bool
    directory: Path
    connection: Connection | None
    secrets: tuple[WarehouseSecret, ...] = ()
    not_applied: tuple[WarehouseSecret, ...] = ()
    """Configured secrets that do not exist yet (their environment's Terraform is not applied): not written."""


def db_up(target, directory: Path, raw_data: Path, environments_dir: Path | None = None,
          environments: Sequence[str] | None = None) -> WarehouseStatus:
    """Start the warehouse, load the raw data and store its reader's connection in the configured secrets.

    Terraform creates each secret. Of `environments` (named), every secret must exist; without names, the
    environments whose Terraform is not applied yet are left out (reported), and at least one must exist.
    Nothing starts when a required secret is missing."""
    wanted = configured_secrets(environments_dir, environments)
    if not wanted:
        raise UsageError("no environment file sets workload.pipeline.training_data.warehouse: name the secret there")
    clients, missing = {}, []
    for secret in wanted:
        client = target.session(secret.account_id, secret.region).client("secretsmanager")
        try:
            client.describe_secret(SecretId=secret.secret_name)
        except client.exceptions.ResourceNotFoundException:
            missing.append(secret)
            continue
        clients[secret] = client
    if missing and (environments is not None or not clients):
        secret = missing[0]
        raise UsageError(f"secret {secret.secret_name!r} does not exist in the {secret.environment} account "
                         f"({secret.account_id}): apply its Terraform first (mlops-infra apply --env "
                         f"{secret.environment} --local), which creates it")
    records = read_raw(raw_data).records
    warehouse = LocalWarehouse(directory)
    recorded = warehouse.connection()
    connection = warehouse.start(recorded.port if recorded else free_loopback_port())
    warehouse.load(records)
    for secret, client in clients.items():
        client.put_secret_value(SecretId=secret.secret_name, SecretString=connection.secret_string())
    return WarehouseStatus(True, directory, connection, tuple(clients), tuple(missing))


def db_down(directory: Path) -> bool:
    return LocalWarehouse(directory).stop()


def db_status(directory: Path) -> WarehouseStatus:
    warehouse = LocalWarehouse(directory)
    return WarehouseStatus(warehouse.is_running(), directory, warehouse.connection())
