"""Saved feed files: spooled once, handed out until stored, not read again while unchanged."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from ingest import intake, sources
from ingest.sources import FileSource

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def folder(tmp_path):
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    for name in ("data.json", "data.24h.json"):
        shutil.copy(FIXTURES / name, feeds / name)
    return feeds


def no_intake(*_args, **_kwargs):
    raise AssertionError("the intake ran: the file was parsed again")


def spooled(fetched):
    return {
        f.window: [json.loads(line) for line in f.path.read_text().splitlines()]
        for f in fetched.feeds
    }


def test_a_stored_file_is_not_read_again_until_it_changes(folder, tmp_path, monkeypatch):
    source = FileSource(str(folder), ("5m", "24h"), tmp_path / "spool")
    first = source.fetch()
    assert spooled(first) == {
        "5m": json.loads((FIXTURES / "data.json").read_text()),
        "24h": json.loads((FIXTURES / "data.24h.json").read_text()),
    }
    with monkeypatch.context() as patch:
        patch.setattr(sources.intake, "spool", no_intake)
        # Not stored yet (a store outage): the same spooled feeds again, no new parse.
        assert (
            FileSource(str(folder), ("5m", "24h"), tmp_path / "spool").fetch().feeds == first.feeds
        )
        source.commit()
        assert not any(f.path.exists() for f in first.feeds)
        for again in (source, FileSource(str(folder), ("5m", "24h"), tmp_path / "spool")):
            unchanged = again.fetch()
            assert (unchanged.feeds, sorted(unchanged.not_modified)) == ([], ["24h", "5m"])

    text = (folder / "data.json").read_text().replace('"14.20"', '"14.30"')
    (folder / "data.json").write_text(text)
    changed = source.fetch()
    assert [f.window for f in changed.feeds] == ["5m"] and changed.not_modified == ["24h"]
    assert spooled(changed)["5m"][0]["sensordatavalues"][0]["value"] == "14.30"


def test_same_size_and_time_with_other_bytes_is_read_again(folder, tmp_path):
    source = FileSource(str(folder / "data.json"), ("5m",), tmp_path / "spool")
    source.fetch()
    source.commit()
    path = folder / "data.json"
    stat = path.stat()
    path.write_text(path.read_text().replace('"6.80"', '"6.90"'))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    fetched = source.fetch()
    assert fetched.not_modified == []
    assert spooled(fetched)["5m"][0]["sensordatavalues"][1]["value"] == "6.90"


def test_a_touched_file_is_read_again(folder, tmp_path):
    source = FileSource(str(folder), ("24h",), tmp_path / "spool")
    source.fetch()
    source.commit()
    stat = (folder / "data.24h.json").stat()
    os.utime(folder / "data.24h.json", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert [f.window for f in source.fetch().feeds] == ["24h"]


def test_a_saved_file_cut_short_keeps_its_complete_records(tmp_path):
    text = (FIXTURES / "data.json").read_text()
    cut = text.index('"id": 27450102') + 40
    path = tmp_path / "data.json"
    path.write_text(text[:cut])
    fetched = FileSource(str(path), ("5m",), tmp_path / "spool").fetch()
    assert [r["id"] for r in spooled(fetched)["5m"]] == [27450101, 27450177]
    (entry,) = fetched.quarantined
    assert entry["reason"].startswith("malformed feed: it breaks off after 2 complete records")
    assert entry["record"].startswith("{\n") and '"id": 27450102' in entry["record"]


def test_an_html_page_saved_as_a_feed_is_one_entry_and_nothing_to_store(tmp_path):
    path = tmp_path / "data.json"
    path.write_text(
        "<!DOCTYPE html>\n<html>\n<body>\n<p>Service unavailable</p>\n</body>\n</html>\n"
    )
    source = FileSource(str(path), ("5m",), tmp_path / "spool")
    fetched = source.fetch()
    assert fetched.feeds == [] and len(fetched.quarantined) == 1
    assert source.fetch().not_modified == ["5m"]  # nothing in it to store: read once


def test_raw_downloads_left_by_an_earlier_version_go_through_the_intake(tmp_path):
    spool = tmp_path / "spool"
    (spool / "24h").mkdir(parents=True)
    shutil.copy(FIXTURES / "data.24h.json", spool / "24h" / "1700000000000000000.json")
    fetched = FileSource(str(tmp_path / "none.json"), ("24h",), spool).fetch()
    assert len(spooled(fetched)["24h"]) == 2
    assert list((spool / "24h").glob("*.json")) == []
    assert [p.suffix for p in (spool / "24h").iterdir()] == [intake.SPOOL_SUFFIX]
