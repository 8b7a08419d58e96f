"""Clause alignment: anchors, moves, modifications, additions, removals, round trip."""
from __future__ import annotations

import random

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from policywatch.tracker.align import align, align_clauses, apply_changes, similarity
from policywatch.tracker.model import Clause


def clauses(*texts: str) -> list[Clause]:
    return [Clause(k, "paragraph", t) for k, t in enumerate(texts)]


def kinds(changes) -> list[str]:
    return [c.kind for c in changes]


def round_trips(old: list[Clause], new: list[Clause]) -> bool:
    return apply_changes(old, align_clauses(old, new)) == [c.text for c in new]


A = "We collect your name and email address when you register."
B = "We share data with service providers who process it for us."
C = "You can ask us to delete your account at any time."
D = "We keep logs for 30 days and then delete them."
E = "Children under 13 may not use the service."


def test_identical_documents_have_no_changes():
    old = clauses(A, B, C)
    result = align(old, clauses(A, B, C))
    assert result.changes == []
    assert result.unchanged_pairs == [(0, 0), (1, 1), (2, 2)]


def test_moved_paragraph_is_one_moved_change():
    changes = align_clauses(clauses(A, B, C, D), clauses(B, C, A, D))
    assert kinds(changes) == ["moved"]
    assert (changes[0].old_ordinal, changes[0].new_ordinal) == (0, 2)
    assert changes[0].old_text == changes[0].new_text == A


def test_modified_clause_is_paired_not_added_and_removed():
    new_b = B.replace("service providers", "advertising partners")
    changes = align_clauses(clauses(A, B, C), clauses(A, new_b, C))
    assert kinds(changes) == ["modified"]
    change = changes[0]
    assert (change.old_text, change.new_text) == (B, new_b)
    assert (change.old_ordinal, change.new_ordinal) == (1, 1)
    assert change.cosmetic is False


def test_added_and_removed():
    changes = align_clauses(clauses(A, B, C), clauses(A, C, E))
    assert kinds(changes) == ["removed", "added"]
    removed, added = changes
    assert (removed.old_ordinal, removed.new_ordinal, removed.new_text) == (1, None, None)
    assert (added.old_ordinal, added.new_ordinal, added.old_text) == (None, 2, None)


def test_removed_clause_is_placed_where_it_was():
    changes = align_clauses(clauses(A, B, C, D), clauses(A, C, D, E))
    assert [(c.kind, c.old_ordinal, c.new_ordinal) for c in changes] == [
        ("removed", 1, None),
        ("added", None, 3),
    ]


def test_unrelated_replacement_is_removed_plus_added():
    changes = align_clauses(clauses(A, B, C), clauses(A, E, C))
    assert sorted(kinds(changes)) == ["added", "removed"]


def test_cosmetic_edits_are_flagged():
    old = clauses("## Sharing", "We share data with partners.", "Last updated: October 2025")
    new = clauses("## SHARING", "We share data with partners", "Last updated: December 2025")
    changes = align_clauses(old, new)
    assert kinds(changes) == ["modified"] * 3
    assert all(c.cosmetic for c in changes)


def test_substantive_number_change_is_not_cosmetic():
    changes = align_clauses(clauses("We keep logs for 6 months."), clauses("We keep logs for 18 months."))
    assert kinds(changes) == ["modified"]
    assert changes[0].cosmetic is False


def test_duplicate_texts_extra_copy_is_added():
    changes = align_clauses(clauses("Learn more", A, "Learn more"), clauses("Learn more", A, "Learn more", "Learn more"))
    assert [(c.kind, c.new_ordinal) for c in changes] == [("added", 3)]


def test_duplicate_texts_one_copy_removed():
    old = clauses("Learn more", A, "Learn more", B)
    new = clauses("Learn more", A, B)
    changes = align_clauses(old, new)
    assert [(c.kind, c.old_ordinal) for c in changes] == [("removed", 2)]
    assert round_trips(old, new)


def test_modification_prefers_the_same_gap():
    # Two near-identical candidates; the one between the same anchors wins.
    x1 = "You may opt out of marketing emails by clicking unsubscribe."
    x2 = "You may opt out of marketing emails by clicking unsubscribe below."
    old = clauses(x1, A, B, C, x2)
    new_x2 = x2.replace("below", "at the bottom")
    new = clauses(A, B, C, new_x2)
    changes = align_clauses(old, new)
    modified = [c for c in changes if c.kind == "modified"]
    assert [(c.old_ordinal, c.new_ordinal) for c in modified] == [(4, 3)]


def test_heading_comes_from_the_new_clause():
    old = [Clause(0, "paragraph", B, heading=("Sharing",))]
    new = [Clause(0, "paragraph", B + " And affiliates.", heading=("Disclosure",))]
    assert align_clauses(old, new)[0].heading == ("Disclosure",)


def test_similarity_is_word_set_jaccard():
    assert similarity("a b c", "A, b; c.") == 1.0
    assert similarity("a b", "c d") == 0.0
    assert similarity("a b c d", "a b c e") == 3 / 5


def test_rewrite_with_hundreds_of_unmatched_clauses():
    rng = random.Random(7)
    vocabulary = [f"w{k}" for k in range(3000)] + ["the", "data", "we", "you", "and"] * 200
    old_texts = [" ".join(rng.choices(vocabulary, k=rng.randint(8, 60))) for _ in range(800)]
    new_texts = [t + " extra words here" if k % 3 == 0 else " ".join(rng.choices(vocabulary, k=30))
                 for k, t in enumerate(old_texts[:600])]
    old, new = clauses(*old_texts), clauses(*new_texts)
    changes = align_clauses(old, new)  # its speed is measured in bench/diff_bench.py
    assert sum(c.kind == "modified" for c in changes) >= 200
    assert apply_changes(old, changes) == new_texts


# --- properties --------------------------------------------------------------

WORDS = ["we", "share", "data", "with", "partners", "you", "may", "opt", "out", "cookies", "delete"]
texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join)
documents = st.lists(texts, max_size=14)


@st.composite
def edited_pairs(draw):
    """An old clause list and a new one made by random edits, moves, inserts, deletes."""
    old = draw(documents)
    new = list(old)
    for _ in range(draw(st.integers(0, 6))):
        action = draw(st.sampled_from(["insert", "delete", "edit", "move", "shuffle"]))
        if action == "insert":
            new.insert(draw(st.integers(0, len(new))), draw(texts))
        elif new and action == "delete":
            new.pop(draw(st.integers(0, len(new) - 1)))
        elif new and action == "edit":
            k = draw(st.integers(0, len(new) - 1))
            new[k] = new[k] + " " + draw(st.sampled_from(WORDS))
        elif new and action == "move":
            item = new.pop(draw(st.integers(0, len(new) - 1)))
            new.insert(draw(st.integers(0, len(new))), item)
        elif action == "shuffle":
            new = draw(st.permutations(new))
    return clauses(*old), clauses(*new)


@given(edited_pairs())
@settings(max_examples=300, deadline=None)
def test_round_trip_apply_of_align_rebuilds_new(pair):
    old, new = pair
    assert round_trips(old, new)


@given(edited_pairs())
@settings(max_examples=100, deadline=None)
def test_changes_are_ordered_by_new_position(pair):
    old, new = pair
    positions = [c.new_ordinal for c in align_clauses(old, new) if c.new_ordinal is not None]
    assert positions == sorted(positions)


@given(documents)
@settings(max_examples=100, deadline=None)
def test_a_document_aligned_with_itself_has_no_changes(texts_):
    assert align_clauses(clauses(*texts_), clauses(*texts_)) == []


@given(st.lists(st.integers(0, 10_000), min_size=2, max_size=20, unique=True), st.data())
@settings(max_examples=200, deadline=None)
def test_moving_one_paragraph_gives_exactly_one_moved(numbers, data):
    paragraphs = [f"Paragraph {n} says something about data number {n}." for n in numbers]
    source = data.draw(st.integers(0, len(paragraphs) - 1))
    moved = list(paragraphs)
    item = moved.pop(source)
    target = data.draw(st.integers(0, len(moved)).filter(lambda t: t != source))
    moved.insert(target, item)
    changes = align_clauses(clauses(*paragraphs), clauses(*moved))
    assert kinds(changes) == ["moved"]
    # Swapping neighbours is ambiguous: either of the two may be the one that moved.
    assert changes[0].old_text == changes[0].new_text
    assert apply_changes(clauses(*paragraphs), changes) == moved


def test_changed_link_target_pairs_as_cosmetic_modification():
    old = clauses(A, "See [our partners](https://a.example.com/x/y/z/q) for details.", C)
    new = clauses(A, "See [our partners](https://b.other.org/p/q/r) for details.", C)
    assert similarity(old[1].text, new[1].text) < 0.4
    changes = align_clauses(old, new)
    assert kinds(changes) == ["modified"]
    assert changes[0].cosmetic is True


def test_clause_without_words_added_is_cosmetic():
    changes = align_clauses(clauses(A, B), clauses(A, "* * *", B))
    assert kinds(changes) == ["added"] and changes[0].cosmetic is True


def test_apply_changes_rejects_changes_that_do_not_fit():
    changes = align_clauses(clauses(A, B), clauses(A, B, C))
    with pytest.raises(ValueError):
        apply_changes(clauses(A), changes)  # not the old document these changes describe


def test_many_clauses_with_one_cosmetic_key_pair_in_order():
    # Link targets so different that no word-similarity pass pairs them: only the
    # cosmetic-key pass does, and it must pair the k-th old with the k-th new clause.
    old = clauses(*[f"[Learn more](https://a.example.com/x/y/z/q/o{k})" for k in range(300)])
    new = clauses(*[f"[Learn more](https://b.other.org/p/r/s/t/n{k})" for k in range(300)])
    assert similarity(old[0].text, new[0].text) < 0.4 and similarity(old[0].text, new[1].text) < 0.4
    changes = align_clauses(old, new)
    assert all(c.kind == "modified" and c.cosmetic for c in changes)
    assert [(c.old_ordinal, c.new_ordinal) for c in changes] == [(k, k) for k in range(300)]
    assert apply_changes(old, changes) == [c.text for c in new]


def test_repeated_moved_clauses_pair_in_document_order():
    """Two identical clauses moved together keep their order: first with first, not crosswise."""
    old = clauses("Contact us.", "Contact us.", A, B, C)
    new = clauses(A, B, C, D, "Contact us.", "Contact us.")
    changes = align_clauses(old, new)
    moves = [(c.old_ordinal, c.new_ordinal) for c in changes if c.kind == "moved"]
    assert moves == [(0, 4), (1, 5)]
    assert apply_changes(old, changes) == [c.text for c in new]


@given(edited_pairs())
@settings(max_examples=150, deadline=None)
def test_change_kinds_are_consistent(pair):
    old, new = pair
    for change in align_clauses(old, new):
        has_old, has_new = change.old_ordinal is not None, change.new_ordinal is not None
        assert (has_old, has_new) == {
            "added": (False, True), "removed": (True, False), "modified": (True, True), "moved": (True, True)
        }[change.kind]
        if has_old:
            assert change.old_text == old[change.old_ordinal].text
        if has_new:
            assert change.new_text == new[change.new_ordinal].text
        if change.kind == "moved":
            assert change.old_text == change.new_text and change.cosmetic
        if change.kind == "modified":
            assert change.old_text != change.new_text


X = "Cookies are small files stored on your device by the browser."
Y = "We keep server logs for thirty days before deleting them entirely."


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ((A, X, B, C), (A, B, Y, C), [("removed", 1, None), ("added", None, 2)]),
        ((X, A, B, C), (A, B, C, Y), [("removed", 0, None), ("added", None, 3)]),
        ((A, B, C, X), (Y, A, B, C), [("added", None, 0), ("removed", 3, None)]),
    ],
)
def test_changes_come_in_document_order(old, new, expected):
    changes = align_clauses(clauses(*old), clauses(*new))
    assert [(c.kind, c.old_ordinal, c.new_ordinal) for c in changes] == expected


def test_moved_and_added_clauses_carry_their_new_heading():
    old = [Clause(k, "paragraph", t, heading=("Old",)) for k, t in enumerate((A, B, C))]
    new = [Clause(0, "paragraph", B, heading=("N",)), Clause(1, "paragraph", C, heading=("N",)),
           Clause(2, "paragraph", A, heading=("New",)), Clause(3, "paragraph", X, heading=("Add",))]
    assert [(c.kind, c.heading) for c in align_clauses(old, new)] == [("moved", ("New",)), ("added", ("Add",))]
    removed = align_clauses(old, new[:2])
    assert [(c.kind, c.heading) for c in removed] == [("removed", ("Old",))]


def test_similarity_of_empty_texts():
    assert similarity("", "") == 1.0 and similarity("a b", "") == 0.0 and similarity("", "a") == 0.0


def test_respaced_clauses_pair_with_themselves_before_lookalikes() -> None:
    # two clauses with the same words in another order, both re-spaced and swapped: the word
    # sets cannot tell them apart, the words themselves can
    x = "We collect your data and we share it with partners."
    y = "We share it with partners and we collect your data."
    changes = align_clauses(clauses(A, x, y, C), clauses(A, y.replace(" and ", "  and "), x.replace(" and ", "  and "), C))
    pairs = {(c.old_text, c.new_text) for c in changes if c.kind in ("modified", "moved")}
    assert (x, x.replace(" and ", "  and ")) in pairs and (y, y.replace(" and ", "  and ")) in pairs
