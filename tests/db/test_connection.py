"""write_transaction: all of a capture or nothing (issue 19)."""
from __future__ import annotations

import pytest

from policywatch.db.connection import open_database, write_transaction
from policywatch.db.policies import add_policy


def names(db) -> list[str]:
    return [r[0] for r in db.execute("SELECT name FROM policies ORDER BY name").fetchall()]


def test_an_error_inside_rolls_everything_back_and_the_next_transaction_works(fresh_db):
    with pytest.raises(RuntimeError):
        with write_transaction(fresh_db):
            add_policy(fresh_db, "https://a.example/privacy", name="a")
            assert names(fresh_db) == ["a"]
            raise RuntimeError("disk full halfway through a capture")
    assert names(fresh_db) == [] and not fresh_db.conn.in_transaction
    with write_transaction(fresh_db):
        add_policy(fresh_db, "https://b.example/privacy", name="b")
    assert names(fresh_db) == ["b"]


def test_a_commit_is_visible_to_another_connection(fresh_db, db_path):
    with write_transaction(fresh_db):
        add_policy(fresh_db, "https://a.example/privacy", name="a")
        other = open_database(db_path)
        assert names(other) == [], "nothing is visible before the commit"
    assert names(other) == ["a"]
    other.close()


def test_nested_failure_rolls_back_only_the_inner_part(fresh_db):
    with write_transaction(fresh_db):
        add_policy(fresh_db, "https://a.example/privacy", name="a")
        with pytest.raises(ValueError):
            with write_transaction(fresh_db):
                add_policy(fresh_db, "https://b.example/privacy", name="b")
                raise ValueError("inner")
    assert names(fresh_db) == ["a"]


def test_keyboard_interrupt_rolls_back_too(fresh_db):
    with pytest.raises(KeyboardInterrupt):
        with write_transaction(fresh_db):
            add_policy(fresh_db, "https://a.example/privacy", name="a")
            raise KeyboardInterrupt
    assert names(fresh_db) == [] and not fresh_db.conn.in_transaction
