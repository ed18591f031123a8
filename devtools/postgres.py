"""A throwaway PostgreSQL cluster on loopback, for tests and benchmarks."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devtools.oidc_provider import free_loopback_port


@dataclass(frozen=True)
class PostgresCluster:
    data_directory: Path
    port: int
    run_as: str | None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


def postgres_bin_directory() -> Path:
    """The newest installed PostgreSQL server binaries."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    if not candidates:
        raise RuntimeError(
            "PostgreSQL is not installed. Run `make test` as root to install it, or "
            "`sudo apt-get install -y postgresql`."
        )
    return Path(candidates[-1]).parent


def _command(cluster_user: str | None, *args: str) -> list[str]:
    # initdb and postgres refuse to run as root; as root, run them as the postgres user.
    return ["runuser", "-u", cluster_user, "--", *args] if cluster_user else list(args)


@contextmanager
def running_postgres() -> Iterator[PostgresCluster]:
    """Start a cluster with fsync off in a temporary directory; remove it afterwards."""
    bin_directory = postgres_bin_directory()
    run_as = "postgres" if os.geteuid() == 0 else None
    data_directory = Path(tempfile.mkdtemp(prefix="openpep-pg-"))
    socket_directory = Path(tempfile.mkdtemp(prefix="openpep-pgsock-"))
    if run_as:
        shutil.chown(data_directory, run_as)
        shutil.chown(socket_directory, run_as)
    port = free_loopback_port()
    cluster = PostgresCluster(data_directory, port, run_as)
    log_file = data_directory / "server.log"
    subprocess.run(
        _command(
            run_as,
            str(bin_directory / "initdb"),
            "-D",
            str(data_directory),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ),
        check=True,
        capture_output=True,
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {socket_directory} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    subprocess.run(
        _command(
            run_as,
            str(bin_directory / "pg_ctl"),
            "-D",
            str(data_directory),
            "-l",
            str(log_file),
            "-w",
            "-o",
            options,
            "start",
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield cluster
    finally:
        subprocess.run(
            _command(
                run_as,
                str(bin_directory / "pg_ctl"),
                "-D",
                str(data_directory),
                "-m",
                "immediate",
                "-w",
                "stop",
            ),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(data_directory, ignore_errors=True)
        shutil.rmtree(socket_directory, ignore_errors=True)


def stop_postgres(cluster: PostgresCluster) -> None:
    """Stop a running cluster as a restart or an outage would: connections are cut at once."""
    subprocess.run(
        _command(
            cluster.run_as,
            str(postgres_bin_directory() / "pg_ctl"),
            "-D",
            str(cluster.data_directory),
            "-m",
            "fast",
            "-w",
            "stop",
        ),
        check=True,
        capture_output=True,
    )


def start_postgres_again(cluster: PostgresCluster) -> None:
    """Start a stopped cluster with the options it last ran with (kept in postmaster.opts)."""
    subprocess.run(
        _command(
            cluster.run_as,
            str(postgres_bin_directory() / "pg_ctl"),
            "-D",
            str(cluster.data_directory),
            "-l",
            str(cluster.data_directory / "server.log"),
            "-w",
            "restart",
        ),
        check=True,
        capture_output=True,
    )
