"""The intake on real-format feeds: every layout a JSON tool writes, broken feeds, flat memory.

The records of ``fixtures/`` are written by hand from the documented format of
the Sensor.Community feeds (values as strings, v1 and v2 location fields,
``sampling_rate: null``, several records of one sensor in the 5-minute feed).
The layouts are made from them by Python's json module, the way an ordinary
JSON tool saves a feed, and by hand (CRLF, byte order mark, trailing whitespace).
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest import intake

FIXTURES = Path(__file__).parent / "fixtures"
PRETTY = (FIXTURES / "data.json").read_text()
RECORDS = json.loads(PRETTY)


def layouts(text: str) -> dict[str, bytes]:
    records = json.loads(text)
    crlf = text.replace("\n", "\r\n")
    return {
        "pretty-printed by hand, two spaces": text.encode(),
        "compact, as the service sends it": json.dumps(records, separators=(",", ":")).encode(),
        "json.dumps defaults, one line": json.dumps(records).encode(),
        "four spaces, sorted keys": json.dumps(records, indent=4, sort_keys=True).encode(),
        "tabs": json.dumps(records, indent="\t").encode(),
        "one record per line": (
            "[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n"
        ).encode(),
        "CRLF line ends": crlf.encode(),
        "UTF-8 byte order mark": intake.BOM + text.encode(),
        "BOM, CRLF and trailing whitespace": intake.BOM + (crlf + "  \r\n\t\r\n").encode(),
        "leading whitespace": ("\n\n  " + text).encode(),
    }


def chunked(data: bytes, size: int) -> Iterator[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


def spooled_lines(result: intake.Intake) -> list[str]:
    assert result.path is not None
    return result.path.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("layout", list(layouts(PRETTY)))
@pytest.mark.parametrize("chunk", [1, 7, 4096, 1 << 20])
def test_every_layout_spools_every_record_as_one_line(tmp_path, layout, chunk):
    data = layouts(PRETTY)[layout]
    result = intake.spool(chunked(data, chunk), tmp_path, "5m")
    assert result.quarantined == []
    assert result.records == len(RECORDS) == 7
    lines = spooled_lines(result)
    assert [json.loads(line) for line in lines] == RECORDS
    assert all("\n" not in line and "\r" not in line for line in lines)
    assert result.size == len(data)
    path = tmp_path / "feed.json"
    path.write_bytes(data)
    assert result.digest == intake.file_digest(path)


def test_a_spool_line_keeps_key_order_and_the_string_values(tmp_path):
    result = intake.spool([PRETTY.encode()], tmp_path, "5m")
    first = spooled_lines(result)[0]
    assert first.startswith(
        '{"id":27450101,"sampling_rate":null,"timestamp":"2026-11-27 12:00:07",'
    )
    assert '"value":"14.20","value_type":"P1"' in first


def test_numbers_keep_their_text_and_big_integers_survive(tmp_path):
    data = b'[{"id": 123456789012345678901234567890, "v": 12.30, "w": 1e400, "n": -7}]'
    (line,) = spooled_lines(intake.spool([data], tmp_path, "24h"))
    assert json.loads(line) == {
        "id": 123456789012345678901234567890,
        "v": "12.30",
        "w": "1E+400",
        "n": -7,
    }


@pytest.mark.parametrize(
    ("content", "reason", "record"),
    [
        (b"", "malformed feed: empty", ""),
        (b" \r\n\t ", "malformed feed: empty", ""),
        (intake.BOM, "malformed feed: empty", ""),
        (
            b"<html><body><h1>502 Bad Gateway</h1></body></html>\n",
            "malformed feed: not a JSON array (it starts with '<')",
            "<html><body><h1>502 Bad Gateway</h1></body></html>\n",
        ),
        (
            b'{"detail": "Not found."}',
            "malformed feed: not a JSON array (it starts with '{')",
            '{"detail": "Not found."}',
        ),
        (b'"data"', "malformed feed: not a JSON array (it starts with '\"')", '"data"'),
    ],
)
def test_a_feed_that_is_no_json_array_is_one_entry(tmp_path, content, reason, record):
    result = intake.spool(chunked(content, 3), tmp_path, "24h")
    assert result.path is None and result.records == 0
    assert result.quarantined == [{"window": "24h", "reason": reason, "record": record}]
    assert list(tmp_path.iterdir()) == []  # nothing spooled, no temporary file left


def test_an_html_page_of_any_size_is_one_entry_with_its_beginning(tmp_path):
    page = b"<!DOCTYPE html>\n<html>" + b"<p>maintenance</p>\n" * 50_000 + b"</html>"
    result = intake.spool(chunked(page, 65536), tmp_path, "5m")
    assert len(result.quarantined) == 1
    assert result.quarantined[0]["record"] == page[: intake.PREVIEW_BYTES].decode()
    assert result.size == len(page)


def record_texts(text: str) -> list[str]:
    """The text of each top-level record of a pretty-printed array, as written."""
    starts = [i for i in range(len(text)) if text.startswith("\n  {", i)]
    ends = [i + 4 for i in range(len(text)) if text.startswith("\n  }", i)]
    return [text[s + 3 : e] for s, e in zip(starts, ends, strict=True)]


@pytest.mark.parametrize("cut_in", [0, 3, 6])
@pytest.mark.parametrize("where", [0.02, 0.5, 0.98])
def test_a_file_cut_short_keeps_its_complete_records_and_quarantines_the_cut_one(
    tmp_path, cut_in, where
):
    texts = record_texts(PRETTY)
    assert len(texts) == len(RECORDS)
    start = PRETTY.index(texts[cut_in])
    cut = start + max(1, int(len(texts[cut_in]) * where))
    result = intake.spool(chunked(PRETTY[:cut].encode(), 500), tmp_path, "5m")
    assert result.records == cut_in
    if cut_in:
        assert [json.loads(line) for line in spooled_lines(result)] == RECORDS[:cut_in]
    else:
        assert result.path is None
    (entry,) = result.quarantined
    assert entry["reason"] == (
        f"malformed feed: it breaks off after {cut_in} complete records (parse error: premature EOF)"
    )
    assert entry["record"] == PRETTY[start:cut]


def test_a_file_cut_between_records_or_before_the_closing_bracket(tmp_path):
    texts = record_texts(PRETTY)
    end_of_second = PRETTY.index(texts[1]) + len(texts[1])
    for text in (PRETTY[: end_of_second + 1], PRETTY.rstrip().removesuffix("]")):
        result = intake.spool([text.encode()], tmp_path, "5m")
        assert len(result.quarantined) == 1
        assert "breaks off" in result.quarantined[0]["reason"]
    assert result.records == len(RECORDS)


def test_garbage_in_the_middle_keeps_the_records_before_it(tmp_path):
    compact = json.dumps(RECORDS, separators=(",", ":"))
    second = compact.index(',{"id":27450177')
    broken = compact[:second] + ",{nonsense}," + compact[second + 1 :]
    result = intake.spool([broken.encode()], tmp_path, "5m")
    assert result.records == 1
    (entry,) = result.quarantined
    assert entry["reason"].startswith("malformed feed: it breaks off after 1 complete records")


def test_elements_that_are_not_objects_are_quarantined_alone(tmp_path):
    data = json.dumps([17, RECORDS[0], "text", None, [1, 2], True, RECORDS[1]]).encode()
    result = intake.spool([data], tmp_path, "5m")
    assert [json.loads(line) for line in spooled_lines(result)] == RECORDS[:2]
    assert [(q["reason"], q["record"]) for q in result.quarantined] == [
        ("malformed record: a number, not a JSON object", "17"),
        ("malformed record: a string, not a JSON object", '"text"'),
        ("malformed record: null, not a JSON object", "null"),
        ("malformed record: an array, not a JSON object", "[1,2]"),
        ("malformed record: a boolean, not a JSON object", "true"),
    ]


def test_many_elements_that_are_not_objects_are_summed_up(tmp_path):
    count = intake.MAX_ELEMENT_ENTRIES + 250
    result = intake.spool([json.dumps(list(range(count))).encode()], tmp_path, "5m")
    assert len(result.quarantined) == intake.MAX_ELEMENT_ENTRIES + 1
    assert result.quarantined[-1]["reason"] == (
        "malformed records: 250 more elements that are not JSON objects"
    )


def test_an_error_of_the_byte_stream_propagates_and_spools_nothing(tmp_path):
    class BrokenStreamError(Exception):
        pass

    def chunks():
        yield PRETTY.encode()[:3000]
        raise BrokenStreamError

    with pytest.raises(BrokenStreamError):
        intake.spool(chunks(), tmp_path, "5m")
    assert list(tmp_path.iterdir()) == []


def test_memory_stays_flat_in_the_feed_size(tmp_path):
    """A 30 MB feed, made on the fly, goes through with a few MB of Python memory."""
    record = json.dumps(RECORDS[3], separators=(",", ":")).encode()
    count = 30_000_000 // len(record)

    def feed():
        yield b"["
        for i in range(count):
            yield (b"," if i else b"") + record
        yield b"]"

    tracemalloc.start()
    try:
        result = intake.spool(feed(), tmp_path, "5m")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.records == count and result.quarantined == []
    assert result.path is not None and result.path.stat().st_size > 25_000_000
    assert peak < 8 << 20, f"peak {peak / 2**20:.1f} MiB"
