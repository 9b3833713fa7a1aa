"""Where the image suites run: the hosts of the local bake rehearsal.

The suites (test_base_image.py, test_ingest_image.py, test_grafana_image.py)
are plain testinfra modules. ``pytest --hosts=...`` (the Packer build) replaces
these defaults; without it they run against the rehearsal's root folders
(chroot) and, for the ingest image, against the booted rehearsal system.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
ARCH = os.environ.get("AQI_BAKE_ARCH", "amd64")
BAKE = REPO / "build" / "bake" / ARCH
BOOTED_HOST = "aqi-ingest-booted"
BOOTED_INVENTORY = Path(__file__).resolve().with_name("booted-inventory.yml")
#: AQI_LOG_GROUP_PREFIX of the booted rehearsal's deploy.env.
BOOTED_LOG_GROUP_PREFIX = "/aqi-rehearsal"


def rootfs(image: str) -> Path:
    """The rehearsal's root folder of one image."""
    return BAKE / image / "rootfs"


def chroot_host(image: str) -> str:
    """A root folder as a testinfra host: a plain path, which conftest.py gives the
    chroot connection (a chroot:// URL cannot carry a path)."""
    return str(rootfs(image))


def booted_host() -> str:
    return f"ansible://{BOOTED_HOST}?ansible_inventory={BOOTED_INVENTORY}&force_ansible=true"


def is_booted(host_id: str) -> bool:
    return BOOTED_HOST in host_id


def is_rehearsal(host_id: str) -> bool:
    return str(BAKE) in host_id or BOOTED_HOST in host_id


def load_program(path: Path, name: str | None = None) -> ModuleType:
    """Imports a program of the images (a file, not a package module) for its tests."""
    spec = importlib.util.spec_from_file_location(name or path.stem, path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
