"""Runs Python dataverk once, as a notebook would, and prints one JSON line for the test to judge.

    python read_sql_once.py '{"mode": "read", "source": "postgres_database", "sql": "SELECT 1"}'
    python read_sql_once.py '{"mode": "password-in-url", "connectionString": "...", "username": "...", "password": "..."}'

"read" runs `Client().read_sql(source, sql)` with the environment it was given (settings.json,
Vault, Kubernetes service account) and prints the rows, pandas' column types and what dataverk
logged; it never prints credentials. "password-in-url" runs dataverk's own credential update
(`PostgresOperationalErrorStrategy._update_credentials`) with Vault's answer replaced by the given
user and password, and prints what SQLAlchemy makes of the resulting URL.
"""

import datetime
import decimal
import json
import logging
import math
import sys

# dataverk's loggers do not propagate and add a stderr handler only when they have none: ours comes first.
LOGGER_NAMES = ("Dataverk", "DataverkContext", "PostgresConnector")


class Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append({"logger": record.name, "level": record.levelname, "message": record.getMessage()})


def plain(value):
    """A JSON value for one cell, keeping what pandas made of it visible (NaN stays 'NaN')."""
    if value is None:
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, decimal.Decimal):
        return {"decimal": str(value)}
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return value


def read(request, capture):
    from dataverk import Client

    frame = Client().read_sql(request["source"], request["sql"])
    return {
        "columns": [str(column) for column in frame.columns],
        "dtypes": {str(column): str(dtype) for column, dtype in frame.dtypes.items()},
        "rows": [{str(key): plain(value) for key, value in row.items()} for row in frame.to_dict(orient="records")],
    }


def password_in_url(request, capture):
    from dataverk.connectors.databases.postgres import PostgresConnector
    from dataverk.connectors.databases.utils import error_strategies
    from sqlalchemy.engine import make_url

    settings = {
        "db_connection_strings": {"db": request["connectionString"]},
        "db_vault_path": {"db": "database/creds/example"},
    }
    answer = f"{request['username']}:{request['password']}"
    error_strategies.vault_api.get_database_creds = lambda vault_path: answer
    connector = PostgresConnector(settings_store=settings, source="db")
    error_strategies.PostgresOperationalErrorStrategy._update_credentials(connector, "database/creds/example")
    url = make_url(settings["db_connection_strings"]["db"])
    return {
        "username": url.username,
        "password": url.password,
        "host": url.host,
        "port": url.port,
        "database": url.database,
    }


def main():
    request = json.loads(sys.argv[1])
    capture = Capture()
    for name in LOGGER_NAMES:
        logging.getLogger(name).addHandler(capture)
    try:
        result = {"ok": True, **{"read": read, "password-in-url": password_in_url}[request["mode"]](request, capture)}
    except Exception as error:  # the test asserts on the type and message
        result = {"ok": False, "error": {"type": type(error).__name__, "message": str(error)[:500]}}
    result["logs"] = capture.records
    print(json.dumps(result))


if __name__ == "__main__":
    main()
