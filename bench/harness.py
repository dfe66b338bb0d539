"""What the HTTP benchmarks share: a scratch PostgreSQL database, a free port, and yellowcart served
by uvicorn worker processes on it (started, health-checked, stopped by the caller)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get("YC_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
HOST = "127.0.0.1"


def scratch_database(prefix: str = "yc_bench") -> tuple[str, str]:
    """A new empty database on the benchmark server: (name, SQLAlchemy URL)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(
    url: str, port: int, *, workers: int, backlog: int | None = None, wait_seconds: float = 90, **env: str
) -> subprocess.Popen[bytes]:
    """yellowcart on ``url`` served by ``workers`` uvicorn processes; returns once /v1/health answers."""
    environ = {**os.environ, "YC_DATABASE_URL": url, "YC_LOG_LEVEL": "WARNING", **env}
    cmd = [sys.executable, "-m", "uvicorn", "yellowcart.asgi:app", "--host", HOST, "--port", str(port)]
    cmd += ["--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    if backlog is not None:
        cmd += ["--backlog", str(backlog)]
    proc = subprocess.Popen(cmd, env=environ)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("server did not start")
