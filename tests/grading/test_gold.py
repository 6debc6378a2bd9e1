"""parse_gold: each benchmark's raw gold, normalised once; bad golds raise ValueError for the loader."""

from __future__ import annotations

import pytest

from mammoth_math.grading import AnswerKind, parse_gold

K = AnswerKind


@pytest.mark.parametrize(("raw", "kind", "gold"), [
    ("1363.0", K.NUMBER, "1363"),  # DeepMind
    (51.0, K.NUMBER, "51"),  # SVAMP float
    (4e-05, K.NUMBER, "0.00004"),  # TheoremQA float written in scientific form
    (11760, K.NUMBER, "11760"),
    ("1,000", K.NUMBER, "1000"),
    ("583.3333", K.NUMBER, "583.3333"),  # SimulEq keeps its precision
    ("-0.5", K.NUMBER, "-0.5"),
    ("\\frac{1}{2}", K.EXPRESSION, "\\frac{1}{2}"),  # MATH keeps LaTeX
    ("5.0", K.EXPRESSION, "5"),
    ("90\\text{ square\nunits}", K.EXPRESSION, "90\\text{ square units}"),
    ("-20*x", K.EXPRESSION, "-20*x"),
    ("(b)", K.CHOICE, "B"),  # TheoremQA option
    ("D", K.CHOICE, "D"),
    (True, K.BOOL, "True"),
    ("false", K.BOOL, "False"),
    ([0.333, 0.25], K.LIST, "[0.333, 0.25]"),
    ("[3, 5]", K.LIST, "[3, 5]"),
    ("12 3 0", K.LIST, "[12, 3, 0]"),  # DeepMind sorted values
    ("{3, 5}", K.LIST, "{3, 5}"),
    (" August ", K.TEXT, "August"),
])
def test_parse_gold(raw, kind: AnswerKind, gold: str) -> None:
    assert parse_gold(raw, kind) == gold
    assert parse_gold(gold, kind) == gold  # idempotent: a parsed gold parses to itself


@pytest.mark.parametrize(("raw", "kind"), [("abc", K.NUMBER), (True, K.NUMBER), ("maybe", K.BOOL), ("F)", K.BOOL),
                                          ("Z", K.CHOICE), ("", K.TEXT), ("[]", K.LIST), ("   ", K.EXPRESSION)])
def test_bad_golds_raise(raw, kind: AnswerKind) -> None:
    with pytest.raises(ValueError):
        parse_gold(raw, kind)
