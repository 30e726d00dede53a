"""A throwaway PostgreSQL cluster of a test's own (design §10): never the shared server.

initdb into a temporary folder as the `postgres` user (we may be root), trust authentication,
listening on a free loopback port with its socket in that folder; removed at teardown."""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_ALL
from tests.reliability.conftest import free_port

INSTALL = "apt-get install postgresql-15"


def postgres_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class Cluster:
    def __init__(self, bin_dir):
        self.bin = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="xuncha-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)

    def run(self, program, *args, timeout=60):
        command = [str(self.bin / program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"{program} failed: {done.stdout}{done.stderr}" \
                                     f"{self.log_tail()}"

    def log_tail(self):
        log = self.folder / "postgres.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def create(self):
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                 "--no-sync", "--no-instructions")
        self.start()

    def stop(self, mode="fast"):
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def start(self):
        # fsync off: this cluster only ever stops cleanly (a fast shutdown writes everything).
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "postgres.log"), "-w",
                 "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                       "-c fsync=off -c max_connections=60", "start")

    def remove(self):
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop("immediate")
            except AssertionError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def pg_cluster():
    bin_dir = postgres_bin()
    if bin_dir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        message = f"needs PostgreSQL's server binaries ({INSTALL})"
        if REQUIRE_ALL:
            pytest.fail(message)
        pytest.skip(message)
    cluster = Cluster(bin_dir)
    try:
        cluster.create()
        yield cluster
    finally:
        cluster.remove()
