"""``pages``: one-pass templating and JSON that cannot leave its ``<script>`` block."""

from __future__ import annotations

import json

import pytest

from mammoth_math.pages import escape, fill, script_json


def test_a_value_holding_a_marker_is_not_filled_again() -> None:
    page = fill("<p>__A__</p><script>__B__</script>", {"A": "__B__ </p>", "B": "1"})
    assert page == "<p>__B__ </p></p><script>1</script>"


def test_every_marker_needs_a_value_and_every_value_a_marker() -> None:
    with pytest.raises(KeyError, match="__B__"):
        fill("__A__ __B__", {"A": ""})
    with pytest.raises(KeyError, match="C"):
        fill("__A__", {"A": "", "C": ""})


def test_script_json_escapes_what_could_end_the_block_and_reads_back() -> None:
    text = "</script><!--<script> & \u2028\u2029 é \ud800"
    out = script_json({"t": text})
    assert not any(c in out for c in "<>&\u2028\u2029\ud800") and "é" in out
    assert json.loads(out)["t"] == text.replace("\ud800", "\ufffd")
    assert escape("<b a='1'>\udfff") == "&lt;b a=&#x27;1&#x27;&gt;\ufffd" and escape(None) == ""
