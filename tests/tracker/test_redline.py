"""Word-level redlines of one clause: markers, escaping, losslessness."""
from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from policywatch.tracker.redline import DELETE, EQUAL, INSERT, redline_html, redline_text, tokenize, word_diff


def sides(ops):
    old = "".join(t for op, t in ops if op != INSERT)
    new = "".join(t for op, t in ops if op != DELETE)
    return old, new


def test_word_level_markers():
    ops = word_diff("We may share your data.", "We will sell your data.")
    assert redline_text(ops) == "We [-may share-]{+will sell+} your data."


def test_words_are_never_cut():
    ops = word_diff("We store data for six months.", "We store data for sixty months.")
    assert redline_text(ops) == "We store data for [-six-]{+sixty+} months."


def test_identical_texts_are_one_equal_piece():
    assert word_diff("same", "same") == [(EQUAL, "same")]
    assert word_diff("", "") == []


def test_pure_insert_and_delete():
    assert word_diff("", "new clause") == [(INSERT, "new clause")]
    assert word_diff("old clause", "") == [(DELETE, "old clause")]


def test_html_escapes_every_piece_of_policy_text():
    old = 'Contact <a href="x">us</a> & "friends"'
    new = 'Contact <script>alert(1)</script> & "friends"'
    ops = word_diff(old, new)
    out = redline_html(ops)
    assert "<del>" in out and "<ins>" in out
    bare = re.sub(r"</?(?:del|ins)>", "", out)
    assert "<" not in bare and ">" not in bare and '"' not in bare
    assert html.unescape(bare) == "".join(text for _, text in ops)


def test_html_markers_wrap_changes():
    assert redline_html([(EQUAL, "a "), (DELETE, "b"), (INSERT, "c")]) == "a <del>b</del><ins>c</ins>"


def test_tokenize_is_lossless_and_splits_punctuation():
    text = "Don't sell: my data, ok?  Yes."
    assert "".join(tokenize(text)) == text
    assert tokenize("won't") == ["won", "'", "t"]


@given(st.text(max_size=80), st.text(max_size=80))
@settings(max_examples=200, deadline=None)
def test_word_diff_reproduces_both_sides(old, new):
    assert sides(word_diff(old, new)) == (old, new)
