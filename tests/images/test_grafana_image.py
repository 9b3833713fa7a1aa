"""The Grafana image (testinfra suite): configuration, provisioning, first-boot setup.

Runs against the rehearsal's root folder by default, or the Packer build instance
with ``--hosts``. The rehearsal cannot reach Grafana's apt repository nor the
plugin catalogue, so the package and plugin checks run on the Packer build only.
"""

from __future__ import annotations

import configparser
import json

import grafana_rules
import image_hosts
import pytest
import yaml

testinfra_hosts = [image_hosts.chroot_host("grafana")]

SETUP_UNIT = "/etc/systemd/system/aqi-grafana-setup.service"
DROP_IN = "/etc/systemd/system/grafana-server.service.d/10-aqi.conf"
ROLE_DEFAULTS = yaml.safe_load(
    (image_hosts.REPO / "ansible/roles/grafana/defaults/main.yml").read_text()
)


def ini(host, path: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read_string(host.file(path).content_string)
    return parser


def test_grafana_does_not_phone_home(host):
    config = ini(host, "/etc/grafana/grafana.ini")
    for option in ("reporting_enabled", "check_for_updates", "check_for_plugin_updates"):
        assert config.get("analytics", option) == "false", option
    assert config.get("news", "news_feed_enabled") == "false"
    assert config.get("snapshots", "external_enabled") == "false"


def test_no_admin_password_is_baked(host):
    config = ini(host, "/etc/grafana/grafana.ini")
    assert not config.has_option("security", "admin_password")
    assert config.get("users", "allow_sign_up") == "false"
    settings = host.file("/etc/grafana/grafana.ini")
    assert (settings.user, settings.group, settings.mode) == ("root", "grafana", 0o640)
    found = host.run("grep -rIl 'admin_password\\s*=\\s*admin' /etc/grafana /usr/share/aqi-grafana")
    assert found.stdout.strip() == ""


def test_anonymous_viewers_are_off_unless_deployment_enables_them(host):
    config = ini(host, "/etc/grafana/grafana.ini")
    assert config.get("auth.anonymous", "enabled") == "false"
    assert config.get("auth.anonymous", "org_role") == "Viewer"
    assert config.get("server", "http_port") == "3000"


def test_grafana_ini_uses_only_documented_settings(host):
    grafana_rules.assert_documented(host.file("/etc/grafana/grafana.ini").content_string)


def test_a_misspelt_setting_is_caught(host):
    # A broken copy of grafana.ini: one key misspelt (Grafana would ignore it silently).
    text = host.file("/etc/grafana/grafana.ini").content_string
    broken = text.replace("min_refresh_interval", "min_refresh_intervall")
    with pytest.raises(AssertionError, match="min_refresh_intervall is not documented"):
        grafana_rules.assert_documented(broken)


def test_visitors_cannot_refresh_faster_than_a_minute_and_queries_time_out(host):
    grafana_rules.assert_public_traffic_limits(host.file("/etc/grafana/grafana.ini").content_string)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("min_refresh_interval = 1m", "min_refresh_interval = 5s", "faster than once a minute"),
        ("min_refresh_interval = 1m", "", "faster than once a minute"),  # Grafana's 5s default
        ("timeout = 30", "timeout = 600", "not in 1..60"),
    ],
)
def test_a_copy_without_the_limits_fails_the_rule(host, old, new, message):
    text = host.file("/etc/grafana/grafana.ini").content_string
    assert old in text
    with pytest.raises(AssertionError, match=message):
        grafana_rules.assert_public_traffic_limits(text.replace(old, new))


def test_grafana_logs_under_its_own_identifier(host):
    assert ini(host, DROP_IN).get("Service", "SyslogIdentifier") == "grafana-server"


def test_alerting_files_are_provisioned(host):
    # The contact point and policy of dashboard/ (both engines).
    for source in sorted((image_hosts.REPO / "dashboard/provisioning/alerting").glob("*.yaml")):
        installed = host.file(f"/etc/grafana/provisioning/alerting/{source.name}")
        assert installed.is_file and installed.mode == 0o644
        assert installed.content_string == source.read_text()


def test_dashboard_provider_and_both_engines_are_installed(host):
    assert host.file("/etc/grafana/provisioning/dashboards/air-quality.yaml").is_file
    for name in ("influxdb.yaml", "timestream.yaml"):
        assert host.file(f"/usr/share/aqi-grafana/datasources/{name}").is_file
        rules = host.file(f"/usr/share/aqi-grafana/alert-rules/{name}")
        source = image_hosts.REPO / "dashboard/provisioning/alert-rules" / name
        assert rules.is_file and rules.content_string == source.read_text()
    for name in ("air-quality-influxdb.json", "air-quality-timestream.json"):
        dashboard = json.loads(
            host.file(f"/usr/share/aqi-grafana/dashboards/{name}").content_string
        )
        assert dashboard["panels"], name
    # Nothing is enabled before the first boot chooses the engine.
    assert host.file("/etc/grafana/provisioning/datasources").listdir() == []
    assert host.file("/var/lib/grafana/dashboards").listdir() == []


def test_first_boot_setup_runs_on_the_image_python(host):
    program = host.file("/usr/local/sbin/aqi-grafana-setup")
    assert (program.user, program.mode) == ("root", 0o755)
    # Without deploy.env settings it refuses to run (exit 2): Grafana then never
    # starts with a default password.
    result = host.run("env -i /usr/local/sbin/aqi-grafana-setup")
    assert result.rc == 2, result.stderr
    assert "AQI_STORE_ENGINE" in result.stderr


def test_grafana_starts_only_after_the_first_boot_setup(host):
    setup = ini(host, SETUP_UNIT)
    assert setup.get("Unit", "Before") == "grafana-server.service"
    assert setup.get("Service", "Type") == "oneshot"
    assert setup.get("Service", "EnvironmentFile") == "/etc/aqi-grafana/deploy.env"
    assert setup.get("Service", "RuntimeDirectoryMode") == "0700"
    assert host.service("aqi-grafana-setup").is_enabled
    drop_in = ini(host, DROP_IN)
    assert drop_in.get("Unit", "Requires") == "aqi-grafana-setup.service"
    assert drop_in.get("Unit", "After") == "aqi-grafana-setup.service"
    assert drop_in.get("Service", "EnvironmentFile") == "/run/aqi-grafana/grafana.env"


def test_instances_read_their_secrets_again_twice_a_day(host):
    # A rotated token is valid until the next rotation; this picks it up before then.
    timer = ini(host, "/etc/systemd/system/aqi-grafana-refresh.timer")
    assert timer.get("Timer", "OnUnitActiveSec") == ROLE_DEFAULTS["grafana_refresh_interval"]
    assert host.service("aqi-grafana-refresh.timer").is_enabled
    refresh = ini(host, "/etc/systemd/system/aqi-grafana-refresh.service")
    assert refresh.get("Service", "ExecStart") == "/usr/local/sbin/aqi-grafana-setup --refresh"
    assert refresh.get("Service", "EnvironmentFile") == "/etc/aqi-grafana/deploy.env"


def test_no_deployment_settings_are_baked(host):
    assert not host.file("/etc/aqi-grafana/deploy.env").exists
    assert not host.file("/run/aqi-grafana/grafana.env").exists


def test_grafana_oss_is_pinned_held_and_enabled(host, rehearsal):
    if rehearsal:
        pytest.skip("Grafana's apt repository is not reachable in the rehearsal")
    package = host.package("grafana")
    assert package.is_installed
    assert package.version == ROLE_DEFAULTS["grafana_version"]
    assert "hold" in host.check_output("dpkg --get-selections grafana")
    assert host.service("grafana-server").is_enabled


def test_timestream_plugin_is_installed(host, rehearsal):
    if rehearsal:
        pytest.skip("the plugin catalogue is not reachable in the rehearsal")
    plugin = json.loads(
        host.file(
            "/var/lib/grafana/plugins/grafana-timestream-datasource/plugin.json"
        ).content_string
    )
    assert plugin["id"] == "grafana-timestream-datasource"
    assert plugin["info"]["version"] == ROLE_DEFAULTS["grafana_timestream_plugin_version"]
