"""The signature check of the agent packages (ansible/roles/base/tasks/signed_package.yml).

S3 is not reachable here, so the download and install are not run; the check
itself is: the task's ``failed_when`` expression is evaluated by Ansible's own
templating on real ``gpg --verify`` output, for a package signed by the pinned
key, by another key, and for a tampered package. The SSM Agent key shipped in
the role is checked against its pinned fingerprint with gpg.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import image_hosts
import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROLE = image_hosts.REPO / "ansible/roles/base"
DEFAULTS = yaml.safe_load((ROLE / "defaults/main.yml").read_text())


def gpg(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["gpg", "--batch", "--homedir", str(home), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def verify_failed_when() -> str:
    tasks = yaml.safe_load((ROLE / "tasks/signed_package.yml").read_text())
    block = next(t for t in tasks if "block" in t)["block"]
    return next(t for t in block if t["name"] == "Verify the package signature")["failed_when"]


def refused(home: Path, signature: Path, package: Path, fingerprint: str) -> bool:
    """What the task decides for this gpg output (True: the install stops)."""
    result = gpg(home, "--status-fd", "1", "--verify", str(signature), str(package), check=False)
    templar = Templar(
        loader=DataLoader(),
        variables={
            "base_package_verify": {
                "rc": result.returncode,
                "stdout": result.stdout,
                "stdout_lines": result.stdout.splitlines(),
            },
            "base_package_fingerprint": fingerprint,
        },
    )
    return bool(templar.evaluate_expression(trust_as_template(verify_failed_when())))


def new_key(home: Path, name: str) -> str:
    home.mkdir(mode=0o700)
    gpg(
        home,
        "--passphrase",
        "",
        "--quick-gen-key",
        f"{name} <{name}@example.org>",
        "rsa2048",
        "sign",
        "1d",
    )
    listing = gpg(home, "--with-colons", "--list-keys").stdout
    return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))


@pytest.fixture
def signed(tmp_path):
    """A package signed by a vendor key, and a verifier keyring that holds only that key."""
    vendor, other, verifier = tmp_path / "vendor", tmp_path / "other", tmp_path / "verifier"
    vendor_fpr, other_fpr = new_key(vendor, "vendor"), new_key(other, "other")
    package = tmp_path / "package.deb"
    package.write_bytes(b"!<arch>\nnot really a deb, but bytes to sign\n")
    gpg(vendor, "--output", str(tmp_path / "package.deb.sig"), "--detach-sign", str(package))
    gpg(other, "--output", str(tmp_path / "other.sig"), "--detach-sign", str(package))
    verifier.mkdir(mode=0o700)
    exported = gpg(vendor, "--armor", "--export", vendor_fpr).stdout
    (tmp_path / "key.gpg").write_text(exported)
    gpg(verifier, "--import", str(tmp_path / "key.gpg"))
    (tmp_path / "other.gpg").write_text(gpg(other, "--armor", "--export", other_fpr).stdout)
    return {
        "dir": tmp_path,
        "verifier": verifier,
        "package": package,
        "vendor": vendor_fpr,
        "other": other_fpr,
    }


def test_a_package_signed_by_the_pinned_key_is_accepted(signed):
    d = signed["dir"]
    assert not refused(
        signed["verifier"], d / "package.deb.sig", signed["package"], signed["vendor"]
    )


def test_a_package_signed_by_another_key_is_refused(signed):
    d = signed["dir"]
    # Even with that key in the keyring: its fingerprint is not the pinned one.
    gpg(signed["verifier"], "--import", str(d / "other.gpg"))
    assert refused(signed["verifier"], d / "other.sig", signed["package"], signed["vendor"])


def test_a_tampered_package_is_refused(signed):
    d = signed["dir"]
    signed["package"].write_bytes(signed["package"].read_bytes() + b"tampered")
    assert refused(signed["verifier"], d / "package.deb.sig", signed["package"], signed["vendor"])


def test_the_shipped_ssm_agent_key_has_the_pinned_fingerprint(tmp_path):
    home = tmp_path / "gpg"
    home.mkdir(mode=0o700)
    shown = gpg(
        home, "--with-colons", "--show-keys", str(ROLE / "files/amazon-ssm-agent.gpg")
    ).stdout
    fingerprints = [line.split(":")[9] for line in shown.splitlines() if line.startswith("fpr:")]
    assert fingerprints[0] == DEFAULTS["base_ssm_agent_key_fingerprint"]
    assert "ssm-agent-signer@amazon.com" in shown
