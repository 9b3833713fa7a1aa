"""The backfill's parts that need no Spark: names, batches, manifest, progress, options, sources.

The S3 cases run against a moto server on 127.0.0.1: moto is a mock that
accepts what boto3 sends; it shows that listing and the S3 state talk S3's
API through the paginators, not how S3 itself behaves.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from ingest import cli
from ingest.archive import layout
from ingest.archive.backfill import batches, units
from ingest.archive.layout import ArchiveFile, parse_name
from ingest.archive.listing import FolderSource, S3Source, Selection, index_names
from ingest.archive.progress import Progress
from ingest.archive.state import LocalJournal, Manifest, S3Journal
from tests.ingest.archive_checks import SAMPLES
from tests.ingest.timestream_helpers import use_fake_aws


def day_file(day: str, kind: str = "sds011", sensor: int = 1) -> ArchiveFile:
    found = parse_name(f"{day}_{kind}_sensor_{sensor}.csv", f"/a/{day}_{kind}_sensor_{sensor}.csv")
    assert found is not None
    return found


# -- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "first", "last", "kind", "sensor"),
    [
        ("2021-11-08_sds011_sensor_92.csv", "2021-11-08", "2021-11-08", "sds011", 92),
        ("2016-11-08_sds011_sensor_3001.csv.gz", "2016-11-08", "2016-11-08", "sds011", 3001),
        (
            "2021-11-08_radiation_sbm-20_sensor_7.csv",
            "2021-11-08",
            "2021-11-08",
            "radiation_sbm-20",
            7,
        ),
        ("2021-11_hpm.csv", "2021-11-01", "2021-11-30", "hpm", None),
        ("2024-02_sds011.csv.gz", "2024-02-01", "2024-02-29", "sds011", None),
    ],
)
def test_archive_names_give_the_days_type_and_sensor(name, first, last, kind, sensor):
    found = parse_name(name, f"/x/{name}")
    assert found is not None
    assert (found.first_day.isoformat(), found.last_day.isoformat()) == (first, last)
    assert (found.sensor_type, found.sensor_id) == (kind, sensor)


@pytest.mark.parametrize(
    "name",
    [
        "index.html",
        "2021-11-08_sds011_sensor_92.txt",
        "2021-13-08_sds011_sensor_1.csv",
        "2021-11_hpm.zip",
        "readme.csv",
    ],
)
def test_other_names_are_no_archive_files(name):
    assert parse_name(name, name) is None


def test_every_measure_of_the_model_is_a_column_of_some_archive_type():
    """By name, after the archive's own names (pressure_sealevel) become the feed's."""
    from ingest import model

    columns = {
        layout.VALUE_TYPE_ALIASES.get(c, c) for header in layout.HEADERS.values() for c in header
    }
    assert set(model.MEASURE_COLUMNS) <= columns
    assert all(h[:6] == layout.IDENTITY[:6] for h in layout.HEADERS.values())


# -- batches -----------------------------------------------------------------------------


def test_batches_hold_whole_days_and_a_month_file_with_its_types_days():
    files = [day_file("2021-11-08", sensor=n) for n in range(3)]
    files += [day_file("2021-11-09", sensor=n) for n in range(3)]
    month = parse_name("2021-11_hpm.csv", "/a/2021-11_hpm.csv")
    assert month is not None
    hpm_day = day_file("2021-11-20", kind="hpm", sensor=9)
    grouped = units([*files, month, hpm_day])
    assert [len(u) for u in grouped] == [2, 3, 3]  # the hpm month with its day file first
    assert {f.sensor_type for f in grouped[0]} == {"hpm"}
    sized = list(batches([*files, month, hpm_day], size=4))
    assert [len(b) for b in sized] == [2, 3, 3]  # 2 + 3 > 4: days are never split
    assert [len(b) for b in batches(files, size=100)] == [6]


# -- manifest ----------------------------------------------------------------------------


def test_the_manifest_survives_a_torn_last_line_and_knows_month_coverage(tmp_path):
    journal = LocalJournal(tmp_path)
    manifest = Manifest(journal)
    day = day_file("2021-11-08")
    month = parse_name("2021-11_hpm.csv", "/a/2021-11_hpm.csv")
    assert month is not None
    manifest.finish([day, month], date(2021, 11, 5), date(2021, 11, 8))
    with (tmp_path / "backfill" / "manifest.jsonl").open("a") as out:
        out.write('{"file": "/a/half')  # a crash in the middle of a write
    again = Manifest(LocalJournal(tmp_path))
    assert again.is_finished(day, date(2021, 11, 1), date(2021, 11, 30))
    assert again.is_finished(month, date(2021, 11, 6), date(2021, 11, 8))
    assert not again.is_finished(month, date(2021, 11, 1), date(2021, 11, 8))
    assert not again.is_finished(day_file("2021-11-09"), date(2021, 11, 1), date(2021, 11, 30))


@pytest.fixture(scope="module")
def moto_s3():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(moto_s3, monkeypatch):
    use_fake_aws(monkeypatch)
    client = boto3.client("s3", region_name="eu-west-2", endpoint_url=moto_s3)
    client.create_bucket(
        Bucket="mirror", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    yield client
    for item in client.list_objects_v2(Bucket="mirror").get("Contents", []):
        client.delete_object(Bucket="mirror", Key=item["Key"])
    client.delete_bucket(Bucket="mirror")


def test_an_s3_mirror_is_listed_in_every_layout_of_the_archive(s3):
    keys = [
        "archive/2021-11-08/2021-11-08_sds011_sensor_92.csv",
        "archive/2016/2016-11-08/2016-11-08_sds011_sensor_3001.csv.gz",
        "archive/2021-11-09_dht22_sensor_95.csv",  # a flat mirror
        "archive/csv_per_month/2021-10/2021-10_hpm.csv",
        "archive/2021-11-10/2021-11-10_sds011_sensor_92.csv",  # after the selection
        "archive/2021-11-08/index.html",
    ]
    for key in keys:
        s3.put_object(Bucket="mirror", Key=key, Body=b"sensor_id\n")
    source = S3Source("s3://mirror/archive", client=s3)
    recent = source.list_files(Selection(date(2021, 10, 31), date(2021, 11, 9)))
    assert recent.errors == []
    assert sorted(f.location for f in recent.files) == sorted(
        f"s3://mirror/{keys[i]}" for i in (0, 2, 3)
    )
    older = source.list_files(Selection(date(2016, 11, 8), date(2016, 11, 8)))
    assert [f.location for f in older.files] == [f"s3://mirror/{keys[1]}"]


def test_the_state_in_s3_is_one_object_per_batch_and_reads_back(s3):
    journal = S3Journal("s3://mirror/state", client=s3)
    Manifest(journal).finish([day_file("2021-11-08")], date(2021, 11, 8), date(2021, 11, 8))
    Manifest(journal).finish([day_file("2021-11-09")], date(2021, 11, 9), date(2021, 11, 9))
    assert journal.quarantine([{"reason": "cut short", "file": "f", "line": 3}]) == 1
    keys = [i["Key"] for i in s3.list_objects_v2(Bucket="mirror")["Contents"]]
    assert len([k for k in keys if k.startswith("state/backfill/manifest/")]) == 2
    assert len([k for k in keys if k.startswith("state/backfill/quarantine/")]) == 1
    manifest = Manifest(S3Journal("s3://mirror/state", client=s3))
    assert manifest.is_finished(day_file("2021-11-09"), date(2021, 11, 1), date(2021, 11, 30))
    assert len(manifest) == 2


# -- sources -----------------------------------------------------------------------------


def test_a_folder_source_finds_every_layout_and_applies_the_selection():
    source = FolderSource(SAMPLES)
    everything = source.list_files(Selection(date(2016, 1, 1), date(2021, 12, 31)))
    assert len(everything.files) == 9
    some = source.list_files(
        Selection(
            date(2021, 11, 8),
            date(2021, 11, 8),
            types=frozenset({"sds011"}),
            sensors=frozenset({93}),
        )
    )
    assert [f.name for f in some.files] == ["2021-11-08_sds011_sensor_93.csv"]
    assert (
        FolderSource(Path("/nonexistent"))
        .list_files(Selection(date(2021, 1, 1), date(2021, 1, 2)))
        .errors
    )


def test_an_autoindex_page_gives_its_file_names():
    # the shape of nginx's and Apache's autoindex pages
    page = """<html><head><title>Index of /2021-11-08/</title></head><body><h1>Index of /2021-11-08/</h1>
    <hr><pre><a href="../">../</a>
    <a href="2021-11-08_bme280_sensor_113.csv">2021-11-08_bme280_sensor_113.csv</a>   08-Nov-2021 23:59  8123
    <a href="2021-11-08_radiation_sbm-20_sensor_7.csv">2021-11-08_radiation_sbm-20_sensor_..&gt;</a>
    <a href="/2021-11-08/2021-11-08_sds011_sensor_92.csv?x=1">92</a>
    <a href="2021-11-08_sps30_sensor_18453%2Ecsv">sps30</a>
    </pre><hr></body></html>"""
    assert index_names(page) == [
        "..",
        "2021-11-08_bme280_sensor_113.csv",
        "2021-11-08_radiation_sbm-20_sensor_7.csv",
        "2021-11-08_sds011_sensor_92.csv",
        "2021-11-08_sps30_sensor_18453.csv",
    ]


# -- progress ----------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_line_is_redrawn_on_a_terminal():
    terminal = Terminal()
    progress = Progress(files=10, days=3, stream=terminal)
    progress.update(4, 12_345, 1)
    progress.update(10, 20_000, 3)
    progress.close()
    text = terminal.getvalue()
    assert text.startswith("\rfiles 4/10 (40%)  rows 12,345  days 1/3  ")
    assert "\rfiles 10/10 (100%)  rows 20,000  days 3/3  " in text
    assert "ETA 0:00:00" in text and text.endswith("\n")


def test_the_progress_is_logged_once_per_batch_elsewhere(caplog):
    caplog.set_level("INFO")
    stream = io.StringIO()
    progress = Progress(files=2, days=1, stream=stream)
    progress.update(1, 10, 0)
    progress.close()
    assert stream.getvalue() == ""
    assert "files 1/2 (50%)  rows 10  days 0/1" in caplog.text


# -- options -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ([], "--from is required"),
        (["--from", "2021-11-08"], "--to is required"),
        (["--from", "2021-11-08", "--to", "2021-11-07"], "is before --from"),
        (["--from", "8/11/2021", "--to", "2021-11-08"], "--from must be a day YYYY-MM-DD"),
        (["--from", "2021-11-08", "--to", "2021-11-08", "--bbox", "1,2,3"], "--bbox takes"),
        (["--from", "2021-11-08", "--to", "2021-11-08", "--bbox", "10,50,5,55"], "wrong order"),
        (["--from", "2021-11-08", "--to", "2021-11-08", "--country", "GBR"], "two-letter"),
        (["--from", "2021-11-08", "--to", "2021-11-08", "--types", "sds011;x"], "--types takes"),
        (
            ["--from", "2021-11-08", "--to", "2021-11-08", "--batch-files", "0"],
            "--batch-files must be from 1",
        ),
        (["--from", "2021-11-08", "--to", "2021-11-08", "--sink", "mysql://x"], "unsupported sink"),
    ],
)
def test_a_bad_option_is_one_line_and_exit_2(options, message, capsys, tmp_path, monkeypatch):
    for variable in ("AQI_BACKFILL_FROM", "AQI_BACKFILL_TO"):
        monkeypatch.delenv(variable, raising=False)
    sink = [] if "--sink" in options else ["--sink", f"sqlite:///{tmp_path}/aq.db"]
    assert cli.main(["backfill", "--state-dir", str(tmp_path / "s"), *sink, *options]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and error.startswith("aqi-ingest: error: ") and "\n" not in error


def test_options_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("AQI_BACKFILL_FROM", "2021-11-01")
    monkeypatch.setenv("AQI_ARCHIVE_SOURCE", "s3://mirror/archive")
    monkeypatch.setenv("AQI_BACKFILL_TYPES", "sds011,bme280")
    args = cli.parser().parse_args(["backfill", "--to", "2021-11-02"])
    assert (args.source, args.__dict__["from"], args.to, args.types) == (
        "s3://mirror/archive",
        "2021-11-01",
        "2021-11-02",
        "sds011,bme280",
    )


def test_an_unreachable_store_is_exit_3(capsys, tmp_path):
    code = cli.main(
        [
            "backfill",
            "--from",
            "2021-11-08",
            "--to",
            "2021-11-08",
            "--sink",
            "influxdb://127.0.0.1:9/aq",
        ]
    )
    assert code == 3
    assert "aqi-ingest: error:" in capsys.readouterr().err


# -- the guide ---------------------------------------------------------------------------


def backfill_option_problems(text: str) -> list[str]:
    """How the guide's option table differs from the options `aqi-ingest backfill` has."""
    from tests.docs.test_guides import option_rows

    documented = option_rows(text)
    options = {o[0]: o for o in cli.BACKFILL_OPTIONS}
    problems = [f"{o} is not a backfill option" for o in documented if o not in options]
    for option, variable, default, _ in cli.BACKFILL_OPTIONS:
        cell = documented.get(option, ("", ""))[1]
        if option not in documented:
            problems.append(f"{option} is not documented")
        elif documented[option][0] != variable:
            problems.append(f"{option}: variable {documented[option][0]}, not {variable}")
        elif default is None and not cell.startswith("required"):
            problems.append(f"{option}: {cell}, but it is required")
        elif default and not cell.startswith(f"`{default}`"):
            problems.append(f"{option}: default {cell}, not `{default}`")
    return problems


def test_the_guide_lists_every_backfill_option_with_its_default():
    text = (Path(__file__).resolve().parents[2] / "docs" / "backfill.md").read_text()
    assert backfill_option_problems(text) == []
    stale = text.replace(
        "| `--downloads` | `AQI_BACKFILL_DOWNLOADS` | `8`",
        "| `--downloads` | `AQI_BACKFILL_DOWNLOADS` | `4`",
    )
    assert backfill_option_problems(stale) == [
        "--downloads: default `4` parallel downloads from the archive URL, not `8`"
    ]
