"""Extract the training data from the SQL warehouse (runs in the scikit-learn processing container).

One query over a date window, written as the CSV preprocess reads (header `Age,Shape,Margin,Density,Severity`,
missing values empty, rows in `row_id` order). The window's dates are checked to be calendar dates and are
sent to the server as bound parameters, never written into the SQL text; the table name is quoted as an
identifier. Connection settings are read from a Secrets Manager secret with the job's role: a JSON object
with host, port, dbname, username and password (the layout of RDS-managed secrets).

Every failure is one line on stderr naming what failed (the step's failure reason shows it) and exit code 1.
psycopg comes from requirements.txt next to this script (FrameworkProcessor installs it in the container).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import sys
from pathlib import Path

COLUMNS = ("Age", "Shape", "Margin", "Density", "Severity")
SECRET_FIELDS = ("host", "port", "dbname", "username", "password")
OUTPUT_FILE = "warehouse-extract.csv"
CONNECT_TIMEOUT_SECONDS = 10


class ExtractError(Exception):
    """A failure the job reports in one line."""


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--secret-id", required=True, help="name or ARN of the connection secret")
    p.add_argument("--table", required=True, help="table holding the rows, optionally schema-qualified")
    p.add_argument("--start-date", required=True, help="first day of the window, YYYY-MM-DD (inclusive)")
    p.add_argument("--end-date", required=True, help="last day of the window, YYYY-MM-DD (inclusive)")
    p.add_argument("--output-dir", default="/opt/ml/processing/output")
    return p.parse_args(argv)


def parse_date(name: str, text: str) -> datetime.date:
    """A calendar date written YYYY-MM-DD; anything else (a time, SQL, spaces) is refused."""
    try:
        if len(text) != 10:
            raise ValueError
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ExtractError(f"{name} {text!r} is not a date: use YYYY-MM-DD, e.g. 2024-01-31") from None


def window(start_text: str, end_text: str) -> tuple[datetime.date, datetime.date]:
    start, end = parse_date("DataStartDate", start_text), parse_date("DataEndDate", end_text)
    if start > end:
        raise ExtractError(f"DataStartDate {start} is after DataEndDate {end}: the window would be empty")
    return start, end


def read_secret(secret_id: str) -> dict:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        text = boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    except ClientError as error:
        code = error.response["Error"]["Code"]
        raise ExtractError(f"cannot read the warehouse secret {secret_id!r}: {code}: "
                           f"{error.response['Error'].get('Message', '')}") from None
    except (BotoCoreError, KeyError) as error:
        raise ExtractError(f"cannot read the warehouse secret {secret_id!r}: {error}") from None
    try:
        settings = json.loads(text)
    except json.JSONDecodeError:
        settings = None
    if not isinstance(settings, dict):
        raise ExtractError(f"the warehouse secret {secret_id!r} is not a JSON object: it must hold "
                           f"{', '.join(SECRET_FIELDS)}")
    missing = [name for name in SECRET_FIELDS if settings.get(name) in (None, "")]
    if missing:
        raise ExtractError(f"the warehouse secret {secret_id!r} lacks {', '.join(missing)}: it must hold "
                           f"{', '.join(SECRET_FIELDS)}")
    return settings


def extract(settings: dict, secret_id: str, table: str, start: datetime.date, end: datetime.date) -> list[tuple]:
    import psycopg
    from psycopg import sql

    query = sql.SQL(
        "SELECT age, shape, margin, density, severity FROM {table} "
        "WHERE observed_on BETWEEN %(start)s AND %(end)s ORDER BY row_id"
    ).format(table=sql.Identifier(*table.split(".")))
    where = f"{settings['host']}:{settings['port']}/{settings['dbname']} as {settings['username']}"
    try:
        with psycopg.connect(host=settings["host"], port=int(settings["port"]), dbname=settings["dbname"],
                             user=settings["username"], password=settings["password"],
                             connect_timeout=CONNECT_TIMEOUT_SECONDS) as connection:
            return connection.execute(query, {"start": start, "end": end}).fetchall()
    except psycopg.OperationalError as error:
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[-1]
        raise ExtractError(f"cannot connect to the warehouse of secret {secret_id!r} ({where}): "
                           f"{first_line}") from None
    except psycopg.Error as error:
        raise ExtractError(f"the warehouse query on {table} failed ({where}): "
                           f"{str(error).strip().splitlines()[0]}") from None


def write_csv(rows: list[tuple], output_dir: Path) -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / OUTPUT_FILE
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(["" if value is None else value for value in row] for row in rows)
    return path


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        start, end = window(args.start_date, args.end_date)
        settings = read_secret(args.secret_id)
        rows = extract(settings, args.secret_id, args.table, start, end)
        if not rows:
            raise ExtractError(f"no rows in {args.table} observed between {start} and {end}: "
                               "widen DataStartDate/DataEndDate")
    except ExtractError as error:
        print(f"extract: {error}", file=sys.stderr)
        return 1
    path = write_csv(rows, Path(args.output_dir))
    print(f"extract: {len(rows)} rows of {args.table} observed between {start} and {end} -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
