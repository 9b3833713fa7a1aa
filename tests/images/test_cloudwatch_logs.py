"""The boot program that points the CloudWatch agent at this deployment's log groups
(ansible/roles/base/files/aqi_cloudwatch_logs.py), and the file lists of the playbooks.

Terraform creates exactly three groups, ``<prefix>/ingest``, ``<prefix>/grafana``
and ``<prefix>/system``, and the agent's role may not create any: every file an
image ships must land in one of them, with no retention of the agent's own
(``retention_in_days`` makes the agent call PutRetentionPolicy).
"""

from __future__ import annotations

import json

import image_hosts
import pytest
import yaml

PROGRAM = image_hosts.REPO / "ansible/roles/base/files/aqi_cloudwatch_logs.py"
#: The groups Terraform creates (the agreed interface), per prefix.
TERRAFORM_GROUPS = ("ingest", "grafana", "system")
#: The fields of a collect_list entry in the agent's documented configuration.
AGENT_FILE_FIELDS = {
    "file_path",
    "log_group_name",
    "log_stream_name",
    "log_group_class",
    "retention_in_days",
    "timestamp_format",
    "timezone",
    "multi_line_start_pattern",
    "encoding",
    "filters",
    "auto_removal",
}


program = image_hosts.load_program(PROGRAM)


def image_files(image: str) -> list[dict]:
    """The files an image ships: the base role's and the playbook's, as the role joins them."""
    defaults = yaml.safe_load(
        (image_hosts.REPO / "ansible/roles/base/defaults/main.yml").read_text()
    )
    play = yaml.safe_load((image_hosts.REPO / f"ansible/{image}.yml").read_text())[0]
    base = next(r for r in play["roles"] if r["role"] == "base")
    return defaults["base_log_files"] + base.get("vars", {}).get("base_image_log_files", [])


def assert_lands_in_terraform_groups(config: dict, prefix: str) -> None:
    allowed = {f"{prefix}/{group}" for group in TERRAFORM_GROUPS}
    for entry in config["logs"]["logs_collected"]["files"]["collect_list"]:
        assert set(entry) <= AGENT_FILE_FIELDS, set(entry) - AGENT_FILE_FIELDS
        assert entry["log_group_name"] in allowed, (
            f"{entry['log_group_name']} is not created by Terraform"
        )
        assert "retention_in_days" not in entry, "the agent would set the retention itself"


@pytest.mark.parametrize(("image", "service_group"), [("ingest", "ingest"), ("grafana", "grafana")])
def test_each_image_ships_its_service_log_and_the_boot_logs(tmp_path, image, service_group):
    listed = tmp_path / "files.json"
    listed.write_text(json.dumps(image_files(image)))
    output = tmp_path / "agent.d" / "aqi-logs.json"
    program.write({"AQI_LOG_GROUP_PREFIX": "/aqi"}, listed, output)
    config = json.loads(output.read_text())
    assert_lands_in_terraform_groups(config, "/aqi")
    groups = {
        e["file_path"]: e["log_group_name"]
        for e in config["logs"]["logs_collected"]["files"]["collect_list"]
    }
    assert groups[f"/var/log/aqi/{image}.log"] == f"/aqi/{service_group}"
    assert groups["/var/log/cloud-init-output.log"] == "/aqi/system"
    assert groups["/var/log/aqi/boot.log"] == "/aqi/system"
    streams = [
        e["log_stream_name"] for e in config["logs"]["logs_collected"]["files"]["collect_list"]
    ]
    assert len(set(streams)) == len(streams), "two files would write one stream"
    assert all(s.startswith("{instance_id}/") for s in streams)


def test_a_file_sent_to_a_group_terraform_does_not_create_fails_the_rule(tmp_path):
    # A broken copy of a playbook's list: the ingest log to a group of its own.
    files = [
        *image_files("ingest"),
        {"path": "/var/log/aqi/extra.log", "group": "extra", "stream": "x"},
    ]
    listed = tmp_path / "files.json"
    listed.write_text(json.dumps(files))
    output = tmp_path / "aqi-logs.json"
    program.write({"AQI_LOG_GROUP_PREFIX": "/aqi"}, listed, output)
    with pytest.raises(AssertionError, match="not created by Terraform"):
        assert_lands_in_terraform_groups(json.loads(output.read_text()), "/aqi")


def test_without_a_prefix_nothing_is_shipped(tmp_path):
    output = tmp_path / "aqi-logs.json"
    output.write_text("{}")
    message = program.write({}, tmp_path / "absent.json", output)
    assert not output.exists() and "no AQI_LOG_GROUP_PREFIX" in message


@pytest.mark.parametrize("prefix", ["aqi", "/aqi prod", "/aqi*", "/" + "a" * 600])
def test_a_bad_prefix_is_a_configuration_error(tmp_path, prefix):
    listed = tmp_path / "files.json"
    listed.write_text(json.dumps(image_files("ingest")))
    with pytest.raises(program.ConfigError, match=r"AQI_LOG_GROUP_PREFIX|not valid"):
        program.write({"AQI_LOG_GROUP_PREFIX": prefix}, listed, tmp_path / "out.json")


def test_a_trailing_slash_is_ignored(tmp_path):
    listed = tmp_path / "files.json"
    listed.write_text(json.dumps(image_files("grafana")))
    output = tmp_path / "out.json"
    program.write({"AQI_LOG_GROUP_PREFIX": "/aqi/"}, listed, output)
    assert_lands_in_terraform_groups(json.loads(output.read_text()), "/aqi")
