"""WARC import of files policywatch did not write: warcio's writer, capture_http, wget; broken files."""
from __future__ import annotations

import gzip
import io
import shutil
import subprocess
from pathlib import Path

import pytest

from policywatch.errors import InputError
from policywatch.testing.live_site import FakeSiteServer, policy_html
from tests.conftest import next_second
from policywatch.tracker.warc_io import import_warc, payload_digest

URL = "https://policies.example/privacy"
V1 = policy_html("Privacy Policy", ["We collect your email address to run the service and never sell it."])
V2 = policy_html("Privacy Policy", ["We collect your email address and sell it to data brokers and advertisers."])
V3 = policy_html("Privacy Policy", ["We collect your email address, your location and your contacts."])


def http_headers(status: str = "200 OK", extra: list[tuple[str, str]] | None = None):
    from warcio.statusandheaders import StatusAndHeaders

    return StatusAndHeaders(status, [("Content-Type", "text/html; charset=utf-8"), *(extra or [])],
                            protocol="HTTP/1.1")


class Warc:
    """A WARC written record by record with warcio (gzip per record, or plain)."""

    def __init__(self, gz: bool = True) -> None:
        from warcio.warcwriter import WARCWriter

        self.buffer = io.BytesIO()
        self.writer = WARCWriter(self.buffer, gzip=gz)
        self.writer.write_record(self.writer.create_warcinfo_record("test.warc", {"software": "warcio test"}))

    def response(self, url: str, date: str, body: bytes | str, *, status: str = "200 OK",
                 extra: list[tuple[str, str]] | None = None, raw: bytes | None = None) -> str:
        """A response record (``raw``: the payload as sent, e.g. chunked); returns its record id."""
        body = body.encode() if isinstance(body, str) else body
        payload = raw if raw is not None else body
        record = self.writer.create_warc_record(url, "response", payload=io.BytesIO(payload), length=len(payload),
                                                http_headers=http_headers(status, extra),
                                                warc_headers_dict={"WARC-Date": date})
        self.writer.write_record(record)
        return record.rec_headers.get_header("WARC-Record-ID")

    def revisit(self, url: str, date: str, body: str, refers_to: tuple[str, str, str | None],
                status: str = "200 OK") -> None:
        fields = {"WARC-Date": date, **({"WARC-Refers-To": refers_to[2]} if refers_to[2] else {})}
        self.writer.write_record(self.writer.create_revisit_record(
            url, payload_digest(body.encode()), refers_to[0], refers_to[1], http_headers=http_headers(status),
            warc_headers_dict=fields))

    def save(self, path: Path) -> Path:
        path.write_bytes(self.buffer.getvalue())
        return path


def versions(db) -> list[tuple[str, str]]:
    return [(r["capture_time"], r["text_sha256"]) for r in db.query(
        "SELECT capture_time, text_sha256 FROM versions WHERE current = 1 ORDER BY capture_time")]


@pytest.mark.parametrize("gz", [True, False], ids=["gzip-per-record", "uncompressed"])
def test_warcio_written_file_with_revisits_chunked_gzip_and_other_urls(fresh_db, tmp_path, gz) -> None:
    warc = Warc(gz)
    chunked = gzip.compress(V1.encode())
    raw = f"{len(chunked):x}\r\n".encode() + chunked + b"\r\n0\r\n\r\n"
    first = warc.response(URL, "2024-01-01T10:00:00Z", V1, raw=raw,
                          extra=[("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")])
    warc.response("https://policies.example/style.css", "2024-01-01T10:00:01Z", "body{}")
    warc.revisit(URL, "2024-02-01T10:00:00Z", V1, (URL, "2024-01-01T10:00:00Z", first))  # by record id
    second = warc.response("http://www.policies.example/privacy/", "2024-03-01T10:00:00Z", V2)
    warc.revisit(URL, "2024-04-01T10:00:00Z", V2, (URL, "2024-03-01T10:00:00Z", None), status="304 Not Modified")
    warc.response(URL, "2024-05-01T10:00:00.123456Z", "gone", status="404 Not Found")
    summary = import_warc(fresh_db, warc.save(tmp_path / "t.warc"), "example", url=URL)
    assert (summary.records, summary.skipped, summary.files) == (6, 1, 5)
    assert summary.problems == [] and summary.notices == []
    assert summary.rejected == {"http_error": 1}
    assert [t for t, _ in versions(fresh_db)] == ["2024-01-01T10:00:00Z", "2024-03-01T10:00:00Z"]
    rows = list(fresh_db.query("SELECT capture_time, source, outcome, version_id, http_status, url, final_url "
                               "FROM captures ORDER BY capture_time"))
    assert [r["outcome"] for r in rows] == ["ok", "ok", "ok", "ok", "http_error"]
    assert {r["source"] for r in rows} == {"warc"}
    assert rows[1]["version_id"] == rows[0]["version_id"] and rows[3]["version_id"] == rows[2]["version_id"]
    assert rows[3]["http_status"] == 200  # a 304 revisit is the body it refers to
    assert rows[2]["url"] == "http://www.policies.example/privacy/"  # matched scheme/www/slash-insensitively
    change = fresh_db.execute("SELECT material, severity FROM changes").fetchall()
    assert change == [(1, "high")]  # starting to sell data
    assert fresh_db.execute("SELECT seeded_at IS NOT NULL FROM policies").fetchone()[0] == 1
    assert fresh_db.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0  # first import is quiet
    again = import_warc(fresh_db, tmp_path / "t.warc", "example")
    assert again.duplicates == 5 and again.new_versions == 0


def test_redirect_in_the_warc_leads_to_the_capture(fresh_db, tmp_path) -> None:
    warc = Warc()
    warc.response(URL, "2024-01-01T10:00:00Z", "", status="301 Moved Permanently",
                  extra=[("Location", "/legal/privacy")])
    warc.response("https://policies.example/legal/privacy", "2024-01-01T10:00:01Z", V1)
    summary = import_warc(fresh_db, warc.save(tmp_path / "r.warc.gz"), "example", url=URL)
    assert summary.files == 1 and summary.new_versions == 1
    row = fresh_db.execute("SELECT url, final_url FROM captures").fetchone()
    assert row == (URL, "https://policies.example/legal/privacy")


def test_revisit_of_another_url_resolves_and_of_another_file_is_a_notice(fresh_db, tmp_path) -> None:
    warc = Warc()
    warc.response("https://mirror.example/privacy", "2023-12-01T10:00:00Z", V1)  # not the policy's URL
    warc.response(URL, "2024-01-01T10:00:00Z", V2)
    warc.revisit(URL, "2024-02-01T10:00:00Z", V1, ("https://mirror.example/privacy", "2023-12-01T10:00:00Z", None))
    warc.revisit(URL, "2024-03-01T10:00:00Z", V3, ("https://elsewhere.example/", "2023-01-01T00:00:00Z", None))
    summary = import_warc(fresh_db, warc.save(tmp_path / "n.warc.gz"), "example", url=URL)
    assert summary.files == 2 and summary.skipped == 1 and summary.problems == []
    assert len(summary.notices) == 1 and "offset" in summary.notices[0]  # V3's original is in no file here
    assert [t for t, _ in versions(fresh_db)] == ["2024-01-01T10:00:00Z", "2024-02-01T10:00:00Z"]


def _three_versions(tmp_path: Path, gz: bool = True) -> Path:
    warc = Warc(gz)
    for month, text in (("01", V1), ("02", V2), ("03", V3)):
        warc.response(URL, f"2024-{month}-01T10:00:00Z", text)
    return warc.save(tmp_path / ("three.warc.gz" if gz else "three.warc"))


@pytest.mark.parametrize("gz", [True, False], ids=["gzip-per-record", "uncompressed"])
def test_truncated_file_keeps_the_records_before_the_cut(fresh_db, tmp_path, gz) -> None:
    path = _three_versions(tmp_path, gz)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 300])  # inside the last record
    summary = import_warc(fresh_db, path, "example", url=URL)
    assert summary.new_versions == 2
    assert len(summary.problems) == 1
    assert "truncated" in summary.problems[0] and "record at offset" in summary.problems[0]


def test_corrupt_payload_skips_that_record_only(fresh_db, tmp_path) -> None:
    path = _three_versions(tmp_path, gz=False)
    data = bytearray(path.read_bytes())
    at = data.index(b"data brokers")
    data[at] = ord("D")  # same length, different payload: the digest no longer matches
    path.write_bytes(bytes(data))
    summary = import_warc(fresh_db, path, "example", url=URL)
    assert summary.new_versions == 2  # the first and third
    assert len(summary.problems) == 1 and "corrupt" in summary.problems[0] and "digest" in summary.problems[0]


def test_not_a_warc_is_one_clear_error_and_writes_nothing(fresh_db, tmp_path) -> None:
    path = tmp_path / "notes.warc"
    path.write_text("these are my notes\n\n")
    with pytest.raises(InputError, match="offset 0 is unreadable"):
        import_warc(fresh_db, path, "example", url=URL)
    assert fresh_db.execute("SELECT count(*) FROM policies").fetchone()[0] == 0


@pytest.mark.network
def test_loopback_crawl_recorded_with_capture_http(fresh_db, tmp_path) -> None:
    from urllib.request import urlopen

    from warcio.capture_http import capture_http  # patches http.client, which urllib looks up per request

    path = tmp_path / "capture.warc.gz"
    with FakeSiteServer() as server:
        server.site.policy("/privacy", paragraphs=["We collect your email address to run the service."])
        server.site.home([("/privacy", "Privacy")])
        with capture_http(str(path)):
            for page in ("/", "/privacy"):
                urlopen(server.url + page, timeout=10).read()
            next_second()
            server.site.policy("/privacy", paragraphs=["We collect your email address and sell it to brokers."])
            urlopen(server.url + "/privacy", timeout=10).read()
        summary = import_warc(fresh_db, path, "site", url=server.url + "/privacy")
    assert (summary.records, summary.skipped, summary.new_versions, summary.changes) == (3, 1, 2, 1)
    status_line, headers = fresh_db.execute("SELECT http_status_line, http_headers FROM captures").fetchone()
    assert status_line == "HTTP/1.1 200 OK" and '"ETag"' in headers


@pytest.mark.network
@pytest.mark.skipif(shutil.which("wget") is None, reason="wget is not installed")
def test_wget_warc_with_dedup_revisits(fresh_db, tmp_path) -> None:
    def wget(name: str, url: str, *extra: str) -> None:
        subprocess.run(["wget", "--quiet", "--tries=1", "--timeout=10", f"--warc-file={tmp_path / name}",
                        "-O", "/dev/null", *extra, url], check=True, timeout=60)

    with FakeSiteServer() as server:
        url = server.url + "/privacy"
        server.site.policy("/privacy", paragraphs=["We collect your email address to run the service."])
        wget("one", url, "--warc-cdx")
        next_second()
        wget("two", url, f"--warc-dedup={tmp_path / 'one.cdx'}")  # unchanged: wget writes a revisit
        next_second()
        server.site.policy("/privacy", paragraphs=["We collect your email address and sell it to brokers."])
        wget("three", url)
    combined = tmp_path / "all.warc.gz"  # gzip members concatenate: one file, three crawls
    combined.write_bytes(b"".join((tmp_path / f"{n}.warc.gz").read_bytes() for n in ("one", "two", "three")))
    assert b"WARC-Type: revisit" in gzip.decompress((tmp_path / "two.warc.gz").read_bytes())
    summary = import_warc(fresh_db, combined, "site", url=url)
    assert summary.problems == [] and summary.notices == []
    assert (summary.files, summary.new_versions, summary.changes) == (3, 2, 1)
    rows = fresh_db.execute("SELECT version_id FROM captures ORDER BY capture_time").fetchall()
    assert rows[0] == rows[1] != rows[2]  # the revisit resolved to the first crawl's body



def test_export_of_a_redirected_capture_with_decoded_body(fresh_db, tmp_path, db_path) -> None:
    from warcio.archiveiterator import ArchiveIterator

    from policywatch.db.connection import open_database
    from policywatch.db.policies import add_policy
    from policywatch.tracker.ingest import Ingestor
    from policywatch.tracker.model import Capture
    from policywatch.tracker.warc_io import export_warc

    policy = add_policy(fresh_db, URL, name="example")["id"]
    final = "https://policies.example/legal/privacy"
    with Ingestor(fresh_db) as ingestor:
        ingestor.put(Capture(policy=policy, source="live", url=URL, final_url=final,
                             capture_time="2024-01-01T10:00:00Z", body=V1.encode(), http_status=200,
                             content_type="text/html", http_status_line="HTTP/2 200 OK",
                             http_headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip"),
                                           ("Content-Length", "99")]))
    out = tmp_path / "r.warc.gz"
    assert export_warc(fresh_db, out) == 1
    with out.open("rb") as stream:
        record = next(r for r in ArchiveIterator(stream) if r.rec_type == "response")
        assert record.rec_headers.get_header("WARC-Target-URI") == final
        assert record.rec_headers.get_header("WARC-Policywatch-Requested-URI") == URL
        assert record.http_headers.protocol == "HTTP/2" and record.http_headers.statusline == "200 OK"
        assert record.http_headers.get_header("Content-Encoding") is None  # the stored body is decoded
        assert record.http_headers.get_header("X-Policywatch-Orig-Content-Encoding") == "gzip"
        assert record.http_headers.get_header("Content-Length") == str(len(V1.encode()))
        assert record.content_stream().read() == V1.encode()
    other = open_database(tmp_path / "other.db", create=True)
    import_warc(other, out, "example")
    assert other.execute("SELECT url, final_url, outcome FROM captures").fetchall() == [(URL, final, "ok")]
    assert other.execute("SELECT url FROM policies").fetchall() == [(URL,)]


@pytest.mark.parametrize("gz", [True, False], ids=["gzip-per-record", "uncompressed"])
def test_a_broken_record_in_the_middle_loses_only_itself(fresh_db, tmp_path, gz) -> None:
    # the framing of the second response is damaged (a cut gzip member, a WARC header line that
    # is not one): the third response, after it, is still imported
    path = _three_versions(tmp_path, gz)
    data = bytearray(path.read_bytes())
    if gz:
        members = [i for i in range(len(data)) if data[i:i + 3] == b"\x1f\x8b\x08"]
        second_response = members[2]  # warcinfo, then the three responses
        data[second_response + 20:second_response + 60] = bytes(40)  # deflate data destroyed
    else:
        at = data.index(b"WARC/1", data.index(b"never sell it"))
        data[at:at + 8] = b"WXRC/9.9"
    path.write_bytes(bytes(data))
    summary = import_warc(fresh_db, path, "example", url=URL)
    assert summary.new_versions == 2  # the first and the third
    assert len(summary.problems) == 1, summary.problems
    assert "is unreadable" in summary.problems[0] and "skipped to the next record at offset" in summary.problems[0]
    assert [t[:10] for t, _ in versions(fresh_db)] == ["2024-01-01", "2024-03-01"]


def test_a_broken_last_record_stops_with_the_records_before_it(fresh_db, tmp_path) -> None:
    path = _three_versions(tmp_path, gz=False)
    data = bytearray(path.read_bytes())
    at = data.rindex(b"WARC/1")
    data[at:at + 8] = b"WXRC/9.9"
    path.write_bytes(bytes(data))
    summary = import_warc(fresh_db, path, "example", url=URL)
    assert summary.new_versions == 2
    assert len(summary.problems) == 1 and "stopped there" in summary.problems[0]


@pytest.mark.parametrize("gz", [True, False], ids=["gzip-per-record", "uncompressed"])
def test_damage_inside_one_record_never_loses_another(tmp_path, gz) -> None:
    """Property: zero any stretch of bytes inside one response record; every other version is
    still imported, and the damage is reported on one line (never a traceback)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from policywatch.db.connection import open_database

    texts = [policy_html("Privacy Policy", [f"Version {n}: we keep your email address for {n + 1} months."])
             for n in range(5)]
    warc = Warc(gz=gz)
    for n, text in enumerate(texts):
        warc.response(URL, f"2024-0{n + 1}-01T10:00:00Z", text)
    clean = warc.buffer.getvalue()
    marker = b"\x1f\x8b\x08" if gz else b"WARC/1"
    starts = [i for i in range(len(clean)) if clean[i:i + len(marker)] == marker] + [len(clean)]
    counter = iter(range(10_000))

    @settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(record=st.integers(0, 4), where=st.floats(0, 1, exclude_max=True), length=st.integers(1, 64))
    def check(record: int, where: float, length: int) -> None:
        lo, hi = starts[record + 1], starts[record + 2]  # record 0 is the warcinfo
        at = lo + int(where * (hi - lo))
        data = bytearray(clean)
        data[at:min(at + length, hi)] = bytes(min(at + length, hi) - at)
        path = tmp_path / f"damaged-{next(counter)}.warc"
        path.write_bytes(bytes(data))
        db = open_database(tmp_path / f"{path.stem}.db", create=True)
        try:
            summary = import_warc(db, path, "example", url=URL)
            kept = {t[:7] for t, _ in versions(db)}
        finally:
            db.close()
        assert kept >= {f"2024-0{n + 1}" for n in range(5) if n != record}, (record, at, length, summary.problems)
        assert len(summary.problems) <= 1

    check()
