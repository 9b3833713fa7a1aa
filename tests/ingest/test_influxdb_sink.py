"""The InfluxDB sink against a real InfluxDB (Debian's influxd on loopback), through the v1 API."""

from __future__ import annotations

import itertools

import pytest
import requests

from ingest import cli
from ingest.sinks import SinkError, open_sink
from ingest.sinks.influxdb import InfluxSink, to_line
from tests.ingest.feeds import pm, record, write

_names = itertools.count()


@pytest.fixture
def database(influxdb):
    name = f"aq_test_{next(_names)}"
    yield name
    influxdb.drop_database(name)


def reading(**overrides):
    row = {
        "time": 1_795_780_800,
        "window": "24h",
        "sensor_id": 1,
        "location_id": 100,
        "country": "GB",
        "sensor_type": "SDS011",
        "indoor": 0,
        "latitude": 51.5,
        "longitude": -0.12,
        "altitude": 20.0,
        "pm25": 12.0,
        "pm10": 20.0,
        "aqi_pm25": 2,
        "aqi_pm10": 2,
        "aqi": 2,
        "band": "Low",
        "value_count": 2,
        "extra": {},
    }
    return {**row, **overrides}


def test_line_protocol_types_and_escaping():
    line = to_line(
        reading(
            sensor_type="Nova, SDS=011",
            band='Very "High"',
            extra={"counts per minute": 3.0},
            pm1=None,
        )
    )
    assert line.startswith(
        r"air_quality,window=24h,sensor_id=1,location_id=100,country=GB,sensor_type=Nova\,\ SDS\=011,indoor=0 "
    )
    fields = line.split(" ", 1)[1].rsplit(" ", 1)[0]
    assert "pm25=12.0" in fields and "aqi=2i" in fields and "value_count=2i" in fields
    assert 'band="Very \\"High\\""' in fields and r"x_counts\ per\ minute=3.0" in fields
    assert "pm1=" not in fields
    assert line.endswith(" 1795780800")


def test_whole_numbers_stay_floats_so_field_types_never_change():
    assert "pm25=12.0" in to_line(reading(pm25=12))
    assert ",pm25=" not in to_line(reading(pm25=float("nan")))


def test_end_to_end_into_influxdb_twice_gives_the_same_points(influxdb, database, tmp_path):
    feed = write(
        tmp_path / "feed",
        daily=[
            record(1, pm("12", "80"), location_id=100),
            record(2, pm("71", "5"), location_id=200, country="DE"),
        ],
        five_minutes=[record(1, pm("15", "30"), location_id=100)],
    )
    sink = f"influxdb://127.0.0.1:{influxdb.port}/{database}"
    args = [
        "run",
        "--once",
        "--source",
        str(feed),
        "--sink",
        sink,
        "--state-dir",
        str(tmp_path / "s"),
    ]
    assert cli.main(args) == 0
    query = 'SELECT "aqi", "aqi_pm25", "aqi_pm10", "band", "pm25", "pm10" FROM "air_quality" GROUP BY "window", "sensor_id"'
    first = influxdb.query(query, database)
    got = {(s["tags"]["window"], s["tags"]["sensor_id"]): s["values"] for s in first}
    assert got[("24h", "1")] == [[1795780800, 7, 2, 7, "High", 12.0, 80.0]]
    assert got[("24h", "2")] == [[1795780800, 10, 10, 1, "Very High", 71.0, 5.0]]
    assert got[("5m", "1")] == [[1795780800, None, None, None, None, 15.0, 30.0]]
    # Again with a fresh state folder: watermarks come back from InfluxDB, nothing is rewritten.
    assert cli.main([*args[:-1], str(tmp_path / "s2")]) == 0
    assert influxdb.query(query, database) == first
    sink_object = open_sink(sink)
    assert sink_object.restore_watermarks() == {
        ("24h", 1): 1795780800,
        ("24h", 2): 1795780800,
        ("5m", 1): 1795780800,
    }


def make_x_odd_a_text_field(influxdb, database):
    """Writes field x_odd as a string: InfluxDB then refuses any float for it."""
    requests.post(
        f"{influxdb.url}/write",
        params={"db": database, "precision": "s"},
        data='air_quality,window=24h,sensor_id=8 x_odd="text" 1795780000',
        timeout=10,
    ).raise_for_status()


def test_a_refused_line_is_isolated_and_the_rest_is_written(influxdb, database):
    sink = InfluxSink.from_url(f"influxdb://127.0.0.1:{influxdb.port}/{database}")
    sink.check()
    assert sink.write_rows([reading(sensor_id=9, extra={}, band="Low")]).written == 1
    make_x_odd_a_text_field(influxdb, database)
    batch = [reading(sensor_id=i, time=1_795_780_800 + i) for i in range(20)]
    batch[13] = reading(sensor_id=13, time=1_795_780_813, extra={"odd": 1.5})
    result = sink.write_rows(batch)
    assert result.written == 19 and not result.failed
    assert [r.row["sensor_id"] for r in result.rejected] == [13]
    assert "conflict" in result.rejected[0].reason
    count = influxdb.query('SELECT count("value_count") FROM "air_quality"', database)
    assert count[0]["values"][0][1] == 20  # the 19 of this batch and sensor 9 written before


def test_an_unreachable_server_is_a_one_line_error_at_start(tmp_path, capsys):
    from tools.local_influxdb import free_port

    code = cli.main(
        [
            "run",
            "--once",
            "--source",
            str(tmp_path),
            "--sink",
            f"influxdb://127.0.0.1:{free_port()}/aq",
        ]
    )
    assert code == cli.EXIT_UNREACHABLE
    err = capsys.readouterr().err.strip()
    assert (
        err.startswith("aqi-ingest: error: cannot reach InfluxDB at http://127.0.0.1:")
        and "\n" not in err
    )


def test_writes_to_a_stopped_server_fail_without_loss(influxdb, database, monkeypatch):
    sink = InfluxSink.from_url(f"influxdb://127.0.0.1:{influxdb.port}/{database}")
    sink.check()
    from tools.local_influxdb import free_port

    sink.base_url = f"http://127.0.0.1:{free_port()}"  # the store goes away after start
    monkeypatch.setattr("ingest.sinks.influxdb.retrying_session", lambda **_: requests.Session())
    sink.close()
    result = sink.write_rows([reading()])
    assert result.written == 0 and len(result.failed) == 1 and "ConnectionError" in result.failed[0]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("influxdb://127.0.0.1:8086", "use influxdb://HOST:PORT/DATABASE"),
        (
            "influxdb://user:secret@127.0.0.1:8086/aq",
            "credentials do not belong in the InfluxDB URL",
        ),
        ("influxdb://127.0.0.1:notaport/aq", "bad InfluxDB URL"),
        ("postgres://127.0.0.1/aq", "unsupported sink URL scheme"),
    ],
)
def test_bad_urls_are_refused_without_echoing_secrets(url, message, capsys):
    with pytest.raises(SinkError, match=message) as error:
        open_sink(url)
    assert "secret" not in str(error.value)
    assert cli.main(["run", "--once", "--sink", url]) == cli.EXIT_CONFIG
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "secret" not in err and "Traceback" not in err


def test_token_and_password_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("AQI_INFLUXDB_TOKEN", "t0ken")
    sink = InfluxSink.from_url("influxdbs://db.example:8086/aq?rp=autogen")
    assert sink.base_url == "https://db.example:8086" and sink.retention_policy == "autogen"
    assert sink.session.headers["Authorization"] == "Token t0ken"
    assert "t0ken" not in repr(sink.credentials) and "t0ken" not in sink.display_url
    monkeypatch.delenv("AQI_INFLUXDB_TOKEN")
    monkeypatch.setenv("AQI_INFLUXDB_USERNAME", "writer")
    monkeypatch.setenv("AQI_INFLUXDB_PASSWORD", "pw")
    assert InfluxSink.from_url("influxdb://h:1/aq").session.auth == ("writer", "pw")


def test_a_batch_refused_whole_is_rejected_without_splitting(influxdb, database):
    sink = InfluxSink.from_url(f"influxdb://127.0.0.1:{influxdb.port}/{database}")
    sink.check()
    make_x_odd_a_text_field(influxdb, database)
    posts = []
    send = sink._post
    sink._post = lambda lines: posts.append(len(lines)) or send(lines)
    batch = [reading(sensor_id=i, extra={"odd": 1.0}) for i in range(64)]
    result = sink.write_rows(batch)
    assert (result.written, len(result.rejected), posts) == (0, 64, [64])
    assert "dropped=64" in result.rejected[0].reason
