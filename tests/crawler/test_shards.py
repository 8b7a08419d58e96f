"""Shards split the policies deterministically and completely."""
from __future__ import annotations

import pytest

from policywatch.db.connection import memory_database
from policywatch.db.crawl_state import policies_for_crawl
from policywatch.db.policies import add_policy


def test_shards_partition_the_policies() -> None:
    db = memory_database()
    for n in range(10):
        add_policy(db, f"https://site{n}.example/privacy", name=f"p{n}")
    everyone = {p["id"] for p in policies_for_crawl(db)}
    parts = [{p["id"] for p in policies_for_crawl(db, shard=k, shards=3)} for k in range(3)]
    assert set().union(*parts) == everyone and sum(len(p) for p in parts) == 10
    assert parts == [{p["id"] for p in policies_for_crawl(db, shard=k, shards=3)} for k in range(3)]
    assert all(pid % 3 == k for k, part in enumerate(parts) for pid in part)
    only = policies_for_crawl(db, policy_ids=[1, 2, 3], shard=1, shards=2)
    assert [p["id"] for p in only] == [1, 3]
    with pytest.raises(ValueError):
        policies_for_crawl(db, shard=2, shards=2)
