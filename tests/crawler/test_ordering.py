"""Archive results are released in CDX order whatever order downloads finish in."""
from policywatch.crawler.ordering import InOrderRelease


def test_release_waits_for_earlier_slots() -> None:
    release = InOrderRelease()
    for slot in range(4):
        release.add("p1", slot)
    release.add("p2", 99)
    assert release.complete("p1", 2, ["c"]) == []
    assert release.complete("p2", 99, ["z"]) == ["z"]  # streams are independent
    assert release.complete("p1", 0, ["a"]) == ["a"]
    assert release.complete("p1", 1, ["b"]) == ["b", "c"]
    assert release.pending() == 1
    assert release.complete("p1", 3, []) == []
    assert release.pending() == 0


def test_unknown_slots_pass_through() -> None:
    release = InOrderRelease()
    assert release.complete("p", 7, ["restored from a JOBDIR queue"]) == ["restored from a JOBDIR queue"]
