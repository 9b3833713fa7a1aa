"""Grafana's documented settings, and the product's rules on them, for the image checks.

Written by hand from Grafana's configuration reference
(https://grafana.com/docs/grafana/latest/setup-grafana/configure-grafana/): the
sections and keys grafana.ini may use, their value kinds, and the documented
environment override rule ``GF_<SECTION>_<KEY>`` (upper case; dots and dashes of
the names become underscores). The checks hold the image's grafana.ini and the
first-boot setup's variables against this table, never against the template.
"""

from __future__ import annotations

import configparser
import re

DOCS = "https://grafana.com/docs/grafana/latest/setup-grafana/configure-grafana/"
BOOL = ("true", "false")

#: section -> key -> the documented kind of value ("int", "duration", "text", "url",
#: or a tuple of the allowed values).
DOCUMENTED: dict[str, dict[str, object]] = {
    "paths": {"data": "text", "logs": "text", "plugins": "text", "provisioning": "text"},
    "server": {
        "protocol": ("http", "https", "h2", "socket"),
        "http_addr": "text",
        "http_port": "int",
        "domain": "text",
        "enforce_domain": BOOL,
        "root_url": "url",
        "serve_from_sub_path": BOOL,
    },
    "database": {"type": ("mysql", "postgres", "sqlite3")},
    "analytics": {
        "reporting_enabled": BOOL,
        "check_for_updates": BOOL,
        "check_for_plugin_updates": BOOL,
        "feedback_links_enabled": BOOL,
    },
    "security": {
        "admin_user": "text",
        "admin_password": "text",
        "secret_key": "text",
        "disable_gravatar": BOOL,
        "cookie_secure": BOOL,
        "cookie_samesite": ("lax", "strict", "none", "disabled"),
        "content_security_policy": BOOL,
        "x_content_type_options": BOOL,
        "x_xss_protection": BOOL,
        "strict_transport_security": BOOL,
    },
    "users": {"allow_sign_up": BOOL, "allow_org_create": BOOL},
    "auth.anonymous": {
        "enabled": BOOL,
        "org_name": "text",
        "org_role": ("Viewer", "Editor", "Admin"),
        "hide_version": BOOL,
    },
    "dashboards": {"min_refresh_interval": "duration", "versions_to_keep": "int"},
    "dataproxy": {
        "timeout": "int",
        "dialTimeout": "int",
        "keep_alive_seconds": "int",
        "logging": BOOL,
    },
    "unified_alerting": {"enabled": BOOL},
    "snapshots": {"external_enabled": BOOL},
    "news": {"news_feed_enabled": BOOL},
    "plugins": {"plugin_admin_enabled": BOOL},
    "log": {"mode": "text", "level": ("debug", "info", "warn", "error", "critical")},
}

#: Grafana durations: a number and a unit.
_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d|w)$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
#: The product's floor of the dashboards' auto-refresh.
MIN_REFRESH_FLOOR_SECONDS = 60
#: The longest a data source query may run before Grafana abandons it (seconds).
MAX_DATAPROXY_TIMEOUT = 60


def override_variable(section: str, key: str) -> str:
    """The documented override rule (independent of the setup program's own function)."""
    return f"GF_{section}_{key}".upper().replace(".", "_").replace("-", "_")


OVERRIDES = {
    override_variable(section, key): (section, key)
    for section, keys in DOCUMENTED.items()
    for key in keys
}


def duration_seconds(text: str) -> float:
    match = _DURATION.match(text.strip())
    assert match, f"{text!r} is not a Grafana duration"
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def parse(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # Grafana's keys are case-sensitive (dialTimeout)
    parser.read_string(text)
    return parser


def assert_documented(text: str) -> None:
    """Every section and key of grafana.ini is documented, with a value of its kind."""
    config = parse(text)
    for section in config.sections():
        assert section in DOCUMENTED, f"[{section}] is not a documented section ({DOCS})"
        for key, value in config.items(section):
            assert key in DOCUMENTED[section], f"[{section}] {key} is not documented ({DOCS})"
            kind = DOCUMENTED[section][key]
            if isinstance(kind, tuple):
                assert value in kind, f"[{section}] {key} = {value!r}: not one of {kind}"
            elif kind == "int":
                assert value.isdigit(), f"[{section}] {key} = {value!r}: not a whole number"
            elif kind == "duration":
                duration_seconds(value)


def assert_public_traffic_limits(text: str) -> None:
    """The rules of a public dashboard: an auto-refresh floor of a minute, a query timeout."""
    config = parse(text)
    refresh = config.get("dashboards", "min_refresh_interval", fallback="5s")  # Grafana's default
    assert duration_seconds(refresh) >= MIN_REFRESH_FLOOR_SECONDS, (
        f"min_refresh_interval {refresh} lets visitors refresh faster than once a minute"
    )
    timeout = int(config.get("dataproxy", "timeout", fallback="0") or 0)
    assert 0 < timeout <= MAX_DATAPROXY_TIMEOUT, f"[dataproxy] timeout {timeout} not in 1..60 s"
