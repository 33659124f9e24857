"""The benchmarks' throwaway PostgreSQL databases: made from DATABASE_URL's server and role,
dropped at the end. Shared by bench/dashboard.py, bench/gallery.py (and bench/discover.py
through it) and bench/jury.py."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit


def server_url() -> str | None:
    """DATABASE_URL when it names a PostgreSQL server, else None (the bench then says so)."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def database_url(admin_url: str, name: str) -> str:
    """The same server and role, another database."""
    return urlsplit(admin_url)._replace(path="/" + name).geturl()


def recreate_database(admin_url: str, name: str) -> None:
    import psycopg

    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"--database must be a plain identifier, not {name!r}")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
