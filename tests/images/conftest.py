"""Fixtures of the image suites: the rehearsal's root folders and its booted system.

``make bake-local`` (a setup stage of ``make test``) bakes the root folders; the
booted ingest system is started here, once per test run, with systemd-nspawn on
a private network and a throw-away overlay (the baked root folder is not
changed), and stopped at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# The suites import image_hosts (this folder) also when Packer runs them alone.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import image_hosts

# testinfra's ansible backend runs ansible and ansible-inventory from PATH: use
# the ones installed next to this interpreter (the project venv).
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

SAMPLE_FEED = image_hosts.REPO / "ingest" / "sample"
#: Where the booted system finds the fixture feed and writes its SQLite sink.
BOOTED_FEED = "/srv/aqi-rehearsal/feed"
BOOTED_DB = "/var/lib/aqi-ingest/rehearsal.db"


def pytest_configure(config: pytest.Config) -> None:
    if config.option.hosts is None and config.option.connection is None:
        # The rehearsal's root folders (plain paths in the suites) are chroots.
        config.option.connection = "chroot"
    config.addinivalue_line(
        "markers",
        "booted: needs the image running with its services started (the booted rehearsal, "
        "or AQI_IMAGE_RUNNING=1 against a live instance)",
    )


@dataclass
class BootedSystem:
    """A running systemd-nspawn container of a baked root folder."""

    process: subprocess.Popen[bytes]
    pid: int
    console: Path

    def run(self, *command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Runs a command inside the container (all its namespaces), as root."""
        return subprocess.run(
            ["nsenter", "-t", str(self.pid), "-m", "-u", "-i", "-n", "-p", "-r", "-w", *command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _container_init(nspawn_pid: int, deadline: float) -> int:
    """PID (host namespace) of the container's init, once it serves systemctl."""
    while time.monotonic() < deadline:
        children = Path(f"/proc/{nspawn_pid}/task/{nspawn_pid}/children")
        try:
            pids = [int(pid) for pid in children.read_text().split()]
        except OSError:
            pids = []
        for pid in pids:
            if Path(f"/proc/{pid}/root/run/systemd/private").exists():
                return pid
        time.sleep(0.2)
    raise TimeoutError("the container did not start systemd")


@pytest.fixture(scope="module")
def booted_ingest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BootedSystem]:
    """Boots the baked ingest image with a fixture feed and a SQLite sink."""
    root = image_hosts.rootfs("ingest")
    if not (root / "etc/systemd/system/aqi-ingest.service").is_file():
        pytest.fail(f"no baked ingest image at {root}: run `make bake-local` first")
    if shutil.which("systemd-nspawn") is None:
        pytest.fail("systemd-nspawn missing: `make bake-local` installs systemd-container")
    if not sorted(SAMPLE_FEED.glob("*.json")):
        pytest.fail(f"no sample feed in {SAMPLE_FEED}")
    work = tmp_path_factory.mktemp("booted-ingest")
    feed = work / "feed"
    shutil.copytree(SAMPLE_FEED, feed)
    deploy_env = work / "deploy.env"
    deploy_env.write_text(
        f"AQI_SOURCE={BOOTED_FEED}\n"
        f"AQI_SINK=sqlite:///{BOOTED_DB}\n"
        "AQI_INTERVAL=20\n"
        "AQI_SPARK_MASTER=local[2]\n"
        "AQI_SPARK_DRIVER_MEMORY=512m\n"
        f"AQI_LOG_GROUP_PREFIX={image_hosts.BOOTED_LOG_GROUP_PREFIX}\n"
    )
    console = work / "console.log"
    script = (
        "mkdir -p /run/systemd/nspawn && mount -t tmpfs tmpfs /run/systemd/nspawn && "
        'exec systemd-nspawn -D "$0" --boot --register=no --keep-unit --private-network '
        "--console=pipe --volatile=overlay --machine=aqi-ingest-rehearsal "
        f'--bind-ro="$1:{BOOTED_FEED}" --bind-ro="$2:/etc/aqi-ingest/deploy.env"'
    )
    with console.open("wb") as log:
        process = subprocess.Popen(
            [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "--",
                "sh",
                "-c",
                script,
                str(root),
                str(feed),
                str(deploy_env),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        pid = _container_init(process.pid, time.monotonic() + 60)
        system = BootedSystem(process, pid, console)
        system.run("systemctl", "is-system-running", "--wait", timeout=120)
        os.environ["ANSIBLE_NSENTER_PID"] = str(pid)
    except Exception:
        process.kill()
        process.wait(timeout=30)
        pytest.fail(f"the ingest image did not boot:\n{console.read_text()[-3000:]}")
    yield system
    os.environ.pop("ANSIBLE_NSENTER_PID", None)
    process.send_signal(signal.SIGTERM)  # systemd-nspawn powers the container off
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


@pytest.fixture
def host_id(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("host").backend.get_pytest_id())


@pytest.fixture
def rehearsal(host_id: str) -> bool:
    """True on the local rehearsal, where downloads from outside are switched off."""
    return image_hosts.is_rehearsal(host_id)


@pytest.fixture(autouse=True)
def _image_host_ready(request: pytest.FixtureRequest) -> None:
    """Boots the rehearsal when a test needs it; skips runtime checks on a root folder."""
    if "_testinfra_host" not in request.fixturenames:
        return
    host_id = str(request.getfixturevalue("host").backend.get_pytest_id())
    booted = image_hosts.is_booted(host_id)
    if request.node.get_closest_marker("booted") and not (
        booted or os.environ.get("AQI_IMAGE_RUNNING") == "1"
    ):
        pytest.skip("needs the running system: checked on the booted rehearsal")
    if booted:
        request.getfixturevalue("booted_ingest")
    elif image_hosts.is_rehearsal(host_id) and not Path(host_id.split("://", 1)[1]).is_dir():
        pytest.fail(f"{host_id} is not baked: run `make bake-local` first")
