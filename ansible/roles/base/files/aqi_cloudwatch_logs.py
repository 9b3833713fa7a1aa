#!/usr/bin/python3
"""Writes the CloudWatch agent's logs configuration for this deployment, at boot.

Terraform creates the log groups ``<AQI_LOG_GROUP_PREFIX>/ingest``, ``/grafana``
and ``/system`` (with their retention and encryption) and hands the prefix over
in deploy.env. The files to ship and their groups are baked in
/etc/aqi-cloudwatch-logs.json. This program writes the agent's ``logs`` section
to amazon-cloudwatch-agent.d/, which the agent merges with its baked metrics
configuration when it starts (this unit runs before it). It sets no retention
(Terraform owns it) and names only groups that exist: the agent's role may not
create groups.

Without AQI_LOG_GROUP_PREFIX no logs are shipped (the file is removed).
Exit codes: 0 on success, 2 for a bad prefix or file list. One line on stderr.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

FILES = Path("/etc/aqi-cloudwatch-logs.json")
OUTPUT = Path("/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.d/aqi-logs.json")
#: CloudWatch Logs group names: 1-512 of letters, digits, _ - / . #
GROUP_NAME = re.compile(r"^[A-Za-z0-9_\-/.#]{1,512}$")


class ConfigError(Exception):
    pass


def logs_config(prefix: str, files: list[dict[str, Any]]) -> dict[str, Any]:
    """The agent's ``logs`` section: each file to ``<prefix>/<group>``, stream ``<instance>/<stream>``."""
    prefix = prefix.rstrip("/")
    if not prefix.startswith("/") or not GROUP_NAME.match(prefix):
        raise ConfigError(
            f"AQI_LOG_GROUP_PREFIX {prefix!r} is not a log group name prefix like /aqi"
        )
    collect = []
    for entry in files:
        if not {"path", "group", "stream"} <= entry.keys():
            raise ConfigError(f"{FILES}: an entry lacks path, group or stream")
        group = f"{prefix}/{entry['group']}"
        if not GROUP_NAME.match(group):
            raise ConfigError(f"log group name {group!r} is not valid")
        collect.append(
            {
                "file_path": entry["path"],
                "log_group_name": group,
                "log_stream_name": "{instance_id}/" + entry["stream"],
            }
        )
    return {"logs": {"logs_collected": {"files": {"collect_list": collect}}}}


def write(env: Mapping[str, str], files: Path = FILES, output: Path = OUTPUT) -> str:
    prefix = env.get("AQI_LOG_GROUP_PREFIX", "").strip()
    if not prefix:
        output.unlink(missing_ok=True)
        return "no AQI_LOG_GROUP_PREFIX: no log file is shipped"
    try:
        listed = json.loads(files.read_text())
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read {files}: {type(error).__name__}") from None
    config = logs_config(prefix, listed)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".tmp")
    partial.write_text(json.dumps(config, indent=2) + "\n")
    partial.chmod(0o644)
    partial.replace(output)
    groups = sorted(
        {f["log_group_name"] for f in config["logs"]["logs_collected"]["files"]["collect_list"]}
    )
    return f"ships {len(listed)} files to {', '.join(groups)}"


def main() -> int:
    try:
        print(f"aqi-cloudwatch-logs: {write(os.environ)}", file=sys.stderr)
    except ConfigError as error:
        print(f"aqi-cloudwatch-logs: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
