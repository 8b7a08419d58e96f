"""CDX query building, JSON parsing and paging, row planning, archive URLs and times."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

from policywatch.crawler.cdx import (capture_url, cdx_url, iso_to_timestamp, memento_to_iso, parse_cdx_json, plan_rows,
                         split_archive_url, timestamp_to_iso, valid_stamp)

HEADER = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]


def row(ts: str, digest: str) -> list[str]:
    return ["org,example)/privacy", ts, "https://example.org/privacy", "text/html", "200", digest, "100"]


def test_query_has_every_parameter() -> None:
    url = cdx_url("https://web.archive.org/", "https://example.org/privacy?x=1", since="2020", until="20211231",
                  limit=50, resume_key="k 1")
    query = parse_qs(urlsplit(url).query)
    assert urlsplit(url).path == "/cdx/search/cdx"
    assert query["url"] == ["https://example.org/privacy?x=1"]
    assert query["output"] == ["json"] and "filter" not in query  # redirects and revisits are history too
    assert "collapse" not in query and query["showResumeKey"] == ["true"]  # twins hide behind collapse
    assert query["from"] == ["2020"] and query["to"] == ["20211231"]
    assert query["limit"] == ["50"] and query["resumeKey"] == ["k 1"]


def test_parse_with_and_without_resume_key() -> None:
    page = parse_cdx_json(json.dumps([HEADER, row("20200101000000", "A"), row("20200201000000", "B"), [], ["KEY"]]))
    assert [s.timestamp for s in page.snapshots] == ["20200101000000", "20200201000000"]
    assert page.resume_key == "KEY"
    last = parse_cdx_json(json.dumps([HEADER, row("20200301000000", "C")]))
    assert last.resume_key is None and last.snapshots[0].digest == "C"
    assert parse_cdx_json("[]").snapshots == [] and parse_cdx_json("").resume_key is None


def test_plan_fetches_each_new_digest_once_and_reuses_flips() -> None:
    snaps = parse_cdx_json(json.dumps([HEADER, *(row(f"2020010{n}000000", d) for n, d in
                                              enumerate("ABACB", start=1)), row("2020", "X")])).snapshots
    seen: set[str] = set()
    plan = plan_rows(snaps, stored={"C"}, seen=seen)
    assert [(p.action, p.snapshot.digest) for p in plan] == [
        ("fetch", "A"), ("fetch", "B"), ("reuse", "A"), ("reuse", "C"), ("reuse", "B")]
    assert seen == {"A", "B"}  # the malformed "2020" row was skipped


def test_archive_urls_and_times() -> None:
    assert capture_url("http://a.test/", "20200101000000", "https://x.org/p?q=1") == \
        "http://a.test/web/20200101000000id_/https://x.org/p?q=1"
    assert split_archive_url("http://a.test/web/20200101000000id_/https://x.org/p?q=1") == \
        ("20200101000000", "https://x.org/p?q=1")
    assert split_archive_url("http://a.test/web/20200101000000/https:/x.org/p")[1] == "https://x.org/p"
    assert split_archive_url("http://a.test/other") is None
    assert timestamp_to_iso("20240131120000") == "2024-01-31T12:00:00Z"
    assert timestamp_to_iso("2024") == "2024-01-01T00:00:00Z"
    assert iso_to_timestamp("2024-01-31T12:00:00Z") == "20240131120000"
    assert memento_to_iso(b"Wed, 31 Jan 2024 12:00:00 GMT") == "2024-01-31T12:00:00Z"
    assert all(valid_stamp(v) for v in ("2024", "202401", "20240229", "20240131120000"))
    assert not any(valid_stamp(v) for v in ("24", "2024x", "20241301", "20230229", "202401011", ""))


def test_fake_cdx_collapses_adjacent_only_and_pages(wayback) -> None:
    url = "https://example.org/privacy"
    for ts, body in [("20200101000000", "A"), ("20200201000000", "A"), ("20200301000000", "B"),
                     ("20200401000000", "A"), ("20200501000000", "C")]:
        wayback.archive.add(url, ts, body)
    wayback.archive.add(url, "20200601000000", "", status=301, redirect_to="https://example.org/new")
    seen, key, pages = [], None, 0
    while True:
        with urlopen(cdx_url(wayback.url, url, limit=2, resume_key=key) + "&collapse=digest") as response:
            page = parse_cdx_json(response.read().decode())
        pages += 1
        seen += [s.timestamp[:6] for s in page.snapshots]
        key = page.resume_key
        if not key:
            break
    assert seen == ["202001", "202003", "202004", "202005", "202006"]  # adjacent A dropped, later A kept
    assert pages == 3
    with urlopen(cdx_url(wayback.url, url, since="202003", until="202004")) as response:
        assert [s.timestamp[:6] for s in parse_cdx_json(response.read().decode()).snapshots] == ["202003", "202004"]
    assert wayback.archive.count("cdx") == 4


def test_resume_key_without_the_separating_empty_row() -> None:
    """Some CDX servers put the resume key right after the last row, with no empty row."""
    page = parse_cdx_json(json.dumps([HEADER, row("20200101000000", "A"), ["NEXT-KEY"]]))
    assert page.resume_key == "NEXT-KEY"
    assert [(s.timestamp, s.digest) for s in page.snapshots] == [("20200101000000", "A")]
    only_key = parse_cdx_json(json.dumps([HEADER, [], ["K2"]]))
    assert only_key.resume_key == "K2" and only_key.snapshots == []


def test_a_one_column_answer_has_no_resume_key() -> None:
    """With a one-field header every row has one column: none of them is a resume key."""
    page = parse_cdx_json(json.dumps([["timestamp"], ["20200101000000"]]))
    assert page.resume_key is None


def test_default_page_size_and_minimal_query() -> None:
    query = parse_qs(urlsplit(cdx_url("http://a.test", "https://x.org/p")).query)
    assert query["limit"] == ["500"] and "from" not in query and "to" not in query and "resumeKey" not in query


def test_resume_key_edge_cases() -> None:
    # one row whose last field list has one element but is a real row of a one-field header
    assert parse_cdx_json(json.dumps([HEADER, [], ["K"]])).snapshots == []
    two_rows = parse_cdx_json(json.dumps([HEADER, row("20200101000000", "A"), row("20200201000000", "B")]))
    assert [s.digest for s in two_rows.snapshots] == ["A", "B"] and two_rows.resume_key is None
    keyed = parse_cdx_json(json.dumps([HEADER, row("20200101000000", "A"), row("20200201000000", "B"), ["K"]]))
    assert [s.digest for s in keyed.snapshots] == ["A", "B"] and keyed.resume_key == "K"
    assert parse_cdx_json(json.dumps([HEADER])).snapshots == []


def test_rows_without_a_length_field_and_malformed_rows_are_handled() -> None:
    header = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest"]
    rows = [["k", "20200101000000", "https://x.org/p", "text/html", "200", "A"],
            ["k", "2020", "https://x.org/p"],  # wrong width: skipped, the rest kept
            ["k", "notatime", "https://x.org/p", "text/html", "200", "B"],  # bad timestamp: skipped
            ["k", "20200301000000", "https://x.org/p", "text/html", "200", "C"]]
    page = parse_cdx_json(json.dumps([header, *rows]))
    assert [s.digest for s in page.snapshots] == ["A", "C"]
    assert page.snapshots[0].length == "-"  # CDXSnapshot needs the field; "-" is the CDX "unknown"


def test_times_convert_exactly() -> None:
    assert iso_to_timestamp("2024-01-31") == "20240131000000"
    assert iso_to_timestamp("2024-01-31T12:00:00.123456Z") == "20240131120000"
    assert timestamp_to_iso("20240131120000999") == "2024-01-31T12:00:00Z"
    assert timestamp_to_iso("2024013112") == "2024-01-31T12:00:00Z"
    assert memento_to_iso("Wed, 31 Jan 2024 14:00:00 +0200") == "2024-01-31T12:00:00Z"
    assert memento_to_iso("Wed, 31 Jan 2024 12:00:00 -0000") == "2024-01-31T12:00:00Z"
    assert memento_to_iso("\xe9t\xe9 2024".encode("latin-1")) is None
    assert memento_to_iso("not a date") is None and memento_to_iso(None) is None


def test_squashed_scheme_slashes_are_restored_once() -> None:
    assert split_archive_url("http://a.test/web/2020/https:/x.org/p/https:/y") == ("2020", "https://x.org/p/https:/y")


def test_three_rows_then_the_resume_key_keep_every_row() -> None:
    rows = [row(f"2020010{n}000000", d) for n, d in ((1, "A"), (2, "B"), (3, "C"))]
    page = parse_cdx_json(json.dumps([HEADER, *rows, [], ["K"]]))
    assert [s.digest for s in page.snapshots] == ["A", "B", "C"] and page.resume_key == "K"
    assert parse_cdx_json("").snapshots == [] and parse_cdx_json("  ").snapshots == []
    stray_empty = parse_cdx_json(json.dumps([HEADER, [], row("20200101000000", "A")]))
    assert [s.digest for s in stray_empty.snapshots] == ["A"] and stray_empty.resume_key is None
