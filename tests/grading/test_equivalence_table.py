"""The grading table: (prediction, gold, kind, expected, reason), every kind and every trap of issue 3.

False positives count as much as false negatives: about half the rows must NOT match.
Predictions here are answer strings (what extraction returns or a harness saved).
"""

from __future__ import annotations

import pytest

from mammoth_math.grading import AnswerKind, Extraction, extract_answer, is_equivalent, parse_gold
from mammoth_math.grading.gold import clean_free_form

N, E, C, B, L, T = (AnswerKind.NUMBER, AnswerKind.EXPRESSION, AnswerKind.CHOICE, AnswerKind.BOOL,
                    AnswerKind.LIST, AnswerKind.TEXT)

CASES = [
    # --- NUMBER: integer golds match exactly, float noise aside -------------------------------------
    ("18", "18", N, True, "identical integers"),
    ("18.0", "18", N, True, "trailing .0"),
    ("18.000", "18", N, True, "several trailing zeros"),
    ("18.000000000000004", "18", N, True, "PoT float noise on an integer gold"),
    ("17.999999999999996", "18", N, True, "float noise below the integer"),
    ("100001", "100000", N, False, "off by one on a large integer (Qwen's grader accepts this)"),
    ("99999", "100000", N, False, "off by one below"),
    ("18.01", "18", N, False, "not noise: a different number"),
    ("18.4", "18", N, False, "integer golds are not rounded to"),
    ("17.6", "18", N, False, "rounds to 18 but integer golds are exact"),
    ("19", "18", N, False, "different integer"),
    ("-18", "18", N, False, "sign matters"),
    ("-5", "-5", N, True, "negative integer"),
    ("−5", "-5", N, True, "unicode minus sign"),
    ("0", "0", N, True, "zero"),
    ("0.0", "0", N, True, "zero as a float"),
    ("0.00001", "0", N, False, "tiny but not zero: integer gold 0 is exact"),
    ("1,000", "1000", N, True, "thousands separator"),
    ("1,000,000", "1000000", N, True, "two thousands separators"),
    ("1000", "1,000", N, True, "separator in the gold"),
    ("1,001", "1000", N, False, "separated but different"),
    ("$18", "18", N, True, "dollar sign"),
    ("\\$18", "18", N, True, "escaped LaTeX dollar"),
    ("$18.00", "18", N, True, "dollars and cents"),
    ("$1,234.50", "1234.5", N, True, "dollar, separator and cents"),
    ("18%", "18", N, True, "percent sign dropped"),
    ("18\\%", "18", N, True, "LaTeX percent dropped"),
    ("18 dollars", "18", N, True, "unit word after the number"),
    ("18 \\text{ cm}", "18", N, True, "LaTeX unit after the number"),
    ("500", "5", N, False, "no gold*100 percentage rule by default (Qwen accepts this)"),
    ("0.05", "5", N, False, "no gold/100 rule by default"),
    ("5e2", "500", N, True, "scientific notation"),
    ("2.5 \\times 10^{3}", "2500", N, True, "LaTeX scientific notation"),
    ("1e-3", "0.001", N, True, "negative exponent"),
    ("4e-05", "0.00004", N, True, "TheoremQA's 4e-05 gold"),
    ("0.00004", parse_gold(4e-05, N), N, True, "parse_gold of a float in scientific form"),
    ("1363", parse_gold("1363.0", N), N, True, "DeepMind's 1363.0 gold (MAmmoTH can never match it)"),
    ("1363.0", parse_gold("1363.0", N), N, True, "DeepMind gold rendered as written"),
    ("1362", parse_gold("1363.0", N), N, False, "DeepMind gold, wrong prediction"),
    ("51", parse_gold(51.0, N), N, True, "SVAMP float gold 51.0"),
    # --- NUMBER: non-integer golds, relative tolerance 1e-4 and the gold's precision ----------------
    ("0.5", "0.5", N, True, "identical decimals"),
    (".5", "0.5", N, True, "leading dot"),
    ("1/2", "0.5", N, True, "fraction vs decimal"),
    ("\\frac{1}{2}", "0.5", N, True, "LaTeX fraction vs decimal"),
    ("\\dfrac{1}{2}", "0.5", N, True, "dfrac"),
    ("\\frac12", "0.5", N, True, "brace-less frac"),
    ("-\\frac{3}{4}", "-0.75", N, True, "negative fraction"),
    ("0.75", "-0.75", N, False, "sign of a fraction"),
    ("0.3333", "0.33", N, False, "a two-figure gold gets no half-unit rule: 0.3333 is not 0.33 (issue 28)"),
    ("0.333333", "0.3333", N, True, "more precise, rounds to 4 decimals"),
    ("1/3", "0.333", N, True, "exact fraction rounds to a three-figure gold"),
    ("1/3", "0.33", N, False, "a two-figure gold is the value asked for, not a rounding of 1/3"),
    ("0.34", "0.33", N, False, "same precision, different value"),
    ("0.3", "0.33", N, False, "less precise than the gold and outside 1e-4"),
    ("0.336", "0.33", N, False, "rounds to 0.34, not 0.33"),
    ("2.54", "2.5", N, False, "a two-figure gold: no half-unit rule"),
    ("2.137", "2.14", N, True, "a three-figure key rounds 2.1369... (NumGLUE)"),
    ("2.56", "2.5", N, False, "rounds to 2.6"),
    ("583.33333333", "583.3333", N, True, "SimulEq-style long decimal"),
    ("583.33", "583.3333", N, True, "within relative 1e-4"),
    ("583.2", "583.3333", N, False, "outside relative 1e-4"),
    ("3.14159", "3.1416", N, True, "rounds to the gold's precision"),
    ("3.14", "3.1416", N, False, "too coarse"),
    ("1.0001", "1.00005", N, True, "within relative 1e-4"),
    ("1.01", "1.0001", N, False, "outside 1e-4"),
    ("-2.75", "-2.75", N, True, "negative decimal"),
    ("2.75", "-2.75", N, False, "negative decimal, wrong sign"),
    ("25.81", "25.81", N, True, "DeepMind-style decimal"),
    ("25.8", "25.81", N, False, "dropped a digit"),
    ("0.0425", "0.042", N, False, "DeepMind's 0.042 is an option picked, not a rounding"),
    ("0.04249", "0.0425", N, True, "three figures: within half a unit"),
    ("0.045", "0.042", N, False, "rounds to 0.045"),
    ("18", "18.5", N, False, "integer prediction for a decimal gold"),
    ("\\frac{\\sqrt{3}}{2}", "0.866", N, True, "closed form evaluated to the gold's precision"),
    ("2^{10}", "1024", N, True, "power evaluated exactly"),
    ("2^{10}+1", "1024", N, False, "evaluated, off by one"),
    ("\\pi", "3.1416", N, True, "pi to four decimals"),
    ("x", "5", N, False, "a variable is not a number"),
    ("18 or 19", "18", N, False, "two candidates: no match"),
    ("", "18", N, False, "empty prediction never matches"),
    (None, "18", N, False, "no prediction never matches"),
    (Extraction(None, "none"), "18", N, False, "empty extraction never matches"),
    (Extraction("18", "boxed"), "18", N, True, "an Extraction is graded by its answer"),
    # --- NUMBER with a benchmark tolerance (TheoremQA: 4%) ----------------------------------------
    ("1.45", "1.42", N, True, "within TheoremQA's 4%"),
    ("1.49", "1.42", N, False, "outside 4%"),
    ("11761", "11760", N, False, "integer golds stay exact under a tolerance"),
    ("-1.03", "-1.047", N, True, "negative within 4%"),
    # --- EXPRESSION: LaTeX, through math-verify when not plain --------------------------------------
    ("\\frac{1}{2}", "\\frac{1}{2}", E, True, "identical LaTeX"),
    ("0.5", "\\frac{1}{2}", E, True, "decimal vs fraction"),
    ("1/2", "\\frac{1}{2}", E, True, "slash fraction"),
    ("\\dfrac{1}{2}", "\\frac{1}{2}", E, True, "dfrac vs frac"),
    ("\\frac{2}{4}", "\\frac{1}{2}", E, True, "unreduced fraction equals"),
    ("\\frac{1}{3}", "\\frac{1}{2}", E, False, "different fraction"),
    ("0.33", "\\frac{1}{3}", E, False, "two decimals are not the exact 1/3"),
    ("0.3333333333333333", "\\frac{1}{3}", E, True, "a program's float of an exact fraction"),
    ("53333", "\\frac{266664}{5}", E, False, "the rounded value of an exact fraction is wrong"),
    ("53332.8", "\\frac{266664}{5}", E, True, "the exact decimal of a fraction"),
    ("\\frac{4036083}{4036081}", "\\frac{4036082}{4036081}", E, False, "fractions 2.5e-7 apart are different"),
    ("\\frac \\pi4 + 2 - \\sqrt2+1", "\\frac \\pi4 + 2 - \\sqrt2", E, False, "brace-less frac of a command"),
    ("\\frac{\\pi}{4}+2-\\sqrt{2}", "\\frac \\pi4 + 2 - \\sqrt2", E, True, "brace-less frac, braced"),
    ("{\\text{Evelyn}}", "\\text{Evelyn}", E, True, "outer braces"),
    ("2\\sqrt{3}", "\\sqrt{12}", E, True, "radical simplification"),
    ("\\sqrt{12}", "3\\sqrt{2}", E, False, "different radicals"),
    ("\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}", E, True, "rationalised denominator"),
    ("2\\pi", "2 \\pi", E, True, "spacing"),
    ("6.2832", "2\\pi", E, False, "a decimal approximation is not the exact answer"),
    ("x^2+2x+1", "(x+1)^2", E, True, "expanded polynomial"),
    ("x^2+2x", "(x+1)^2", E, False, "different polynomial"),
    ("(1, 2]", "(1,2]", E, True, "interval, spacing"),
    ("[1, 2]", "(1,2]", E, False, "interval ends differ"),
    ("(-\\infty, 3)", "(-\\infty,3)", E, True, "infinite interval"),
    ("\\{1, 2\\}", "\\{2,1\\}", E, True, "sets are unordered"),
    ("(2,1)", "(1,2)", E, False, "tuples are ordered"),
    ("(-6, 10)", "(-6,10)", E, True, "MATH tuple gold"),
    ("y = 2x+1", "2x+1", E, True, "equation vs its right-hand side"),
    ("x = 5", "5", E, True, "x = 5 for 5"),
    ("x = 6", "5", E, False, "x = 6 for 5"),
    ("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}", E, True, "matrix spacing"),
    ("\\begin{pmatrix} 2 \\\\ 1 \\end{pmatrix}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}", E, False, "matrix entries"),
    ("90^\\circ", "90", E, True, "degrees sign"),
    ("\\text{Devon}", "\\text{Devon}", E, True, "text answer"),
    ("Devon", "\\text{Devon}", E, True, "text without the wrapper"),
    ("\\text{Ali}", "\\text{Devon}", E, False, "different text answer"),
    ("\\left( 3, \\frac{\\pi}{2} \\right)", "\\left( 3, \\frac{\\pi}{2} \\right)", E, True, "polar coordinates"),
    ("-20 x", "-20*x", E, True, "DeepMind derivative, implicit product"),
    ("20x", "-20*x", E, False, "derivative, wrong sign"),
    ("10^{10^{10}}", "5", E, False, "pathological power: a verdict, not a hang"),
    ("12", "12", E, True, "plain integer as expression"),
    ("12.0", "12", E, True, "integer with .0 as expression"),
    ("13", "12", E, False, "wrong integer as expression"),
    ("\\$12", "12", E, True, "MATH dollar sign"),
    ("5\\%", "5", E, True, "MATH percent"),
    # --- CHOICE ----------------------------------------------------------------------------------
    ("B", "B", C, True, "bare letter"),
    ("(B)", "B", C, True, "parenthesised letter"),
    ("B)", "B", C, True, "letter with closing paren"),
    ("b", "B", C, True, "lower-case letter"),
    ("(b)", parse_gold("(b)", C), C, True, "TheoremQA's (b) gold"),
    ("B.", "B", C, True, "letter with period"),
    ("C", "B", C, False, "wrong letter"),
    ("(C)", "B", C, False, "wrong parenthesised letter"),
    ("", "B", C, False, "empty"),
    ("B or C", "B", C, False, "hedged between two letters"),
]
OPTIONS = ("12", "$15", "18 km", "20")
CHOICE_OPTION_CASES = [
    ("$15", "B", C, True, "the option's exact text"),
    ("18 km", "C", C, True, "option text with a unit"),
    ("15", "B", C, True, "a value equal to exactly one option's value"),
    ("15.0", "B", C, True, "value in another form"),
    ("18", "C", C, True, "value of an option with a unit"),
    ("15", "C", C, False, "value of another option"),
    ("16", "B", C, False, "a value no option has"),
    ("E", "B", C, False, "a letter beyond the options"),
    ("D", "D", C, True, "last letter"),
]
ROMAN = ("I only", "II only", "I and II only", "I, II and III")
ROMAN_CASES = [
    ("I and II only", "C", C, True, "option text starting with a roman numeral, not letter I"),
    ("I only", "A", C, True, "'I only' is option A, not letter I"),
    ("I", "A", C, False, "letter I is beyond four options"),
]
MORE_CASES = [
    # --- BOOL ------------------------------------------------------------------------------------
    ("True", "True", B, True, "same boolean"),
    ("true", "True", B, True, "lower case"),
    ("yes", "True", B, True, "yes means True"),
    ("Yes.", "True", B, True, "yes with period"),
    ("no", "False", B, True, "no means False"),
    ("False", "True", B, False, "wrong boolean"),
    ("no", "True", B, False, "no is not True"),
    ("maybe", "True", B, False, "not a boolean"),
    ("True", parse_gold(True, B), B, True, "TheoremQA bool gold"),
    ("False", parse_gold(False, B), B, True, "TheoremQA False gold"),
    # --- LIST ------------------------------------------------------------------------------------
    ("[3, 5]", "[3, 5]", L, True, "same ordered list"),
    ("3, 5", "[3, 5]", L, True, "bare comma list"),
    ("(3,5)", "[3, 5]", L, True, "tuple spelling"),
    ("[5, 3]", "[3, 5]", L, False, "ordered gold: order matters"),
    ("{5, 3}", "{3, 5}", L, True, "unordered gold: order does not matter"),
    ("[5, 3]", "{3, 5}", L, True, "unordered gold accepts any order"),
    ("[3, 5, 7]", "[3, 5]", L, False, "extra element"),
    ("[3]", "[3, 5]", L, False, "missing element"),
    ("[3.0, 5.0]", "[3, 5]", L, True, "elements compared as numbers"),
    ("[3, 5]", parse_gold("[3, 5]", L), L, True, "DeepMind list gold"),
    ("12, 3, 0", parse_gold("12 3 0", L), L, True, "DeepMind space-separated gold"),
    ("0, 3, 12", parse_gold("12 3 0", L), L, False, "DeepMind sorted order matters"),
    ("[0.333, 0.25]", parse_gold([0.333, 0.25], L), L, True, "TheoremQA float list"),
    ("[0.34, 0.25]", parse_gold([0.333, 0.25], L), L, True, "TheoremQA list within 4%"),
    ("[0.4, 0.25]", parse_gold([0.333, 0.25], L), L, False, "TheoremQA list outside 4%"),
    ("x = 3, y = 4", "[3, 4]", L, True, "SimulEq-style named values"),
    ("x = 4, y = 3", "[3, 4]", L, False, "named values swapped"),
    ("[1/2, 2]", "[0.5, 2]", L, True, "fraction element"),
    # --- TEXT ------------------------------------------------------------------------------------
    ("August", "August", T, True, "same word"),
    ("august", "August", T, True, "case-insensitive"),
    ("\\text{August}", "August", T, True, "LaTeX text wrapper"),
    ("August.", "August", T, True, "trailing period"),
    ("September", "August", T, False, "different month"),
    ("Friday", "Friday", T, True, "NumGLUE weekday"),
    ("Thursday", "Friday", T, False, "different day"),
    ("Aug", "August", T, False, "abbreviation is not accepted"),
    ("", "August", T, False, "empty text"),
    # --- more traps that must NOT match ------------------------------------------------------------
    ("1,0000", "10000", N, False, "malformed separator is not a number"),
    ("18.5%", "18", N, False, "percent does not round"),
    ("1800%", "18", N, True, "a percent sign means a hundredth: 1800% is 18 (issue 17)"),
    ("1800", "18", N, False, "no x100 rule for a bare number"),
    ("180", "18", N, False, "an extra digit"),
    ("1.8", "18", N, False, "a misplaced decimal point"),
    ("18/1000", "18", N, False, "a fraction that is not the integer"),
    ("0.5", "0.05", N, False, "decimal shifted by ten"),
    ("0.44", "0.5", N, False, "rounds to 0.4, not the gold 0.5"),
    ("x^2", "x^3", E, False, "different exponent"),
    ("\\frac{1}{2}", "2", E, False, "reciprocal"),
    ("[1, 2)", "[1, 2]", E, False, "half-open vs closed"),
    ("\\{1, 2, 3\\}", "\\{1, 2\\}", E, False, "set with an extra element"),
    ("[3, 5, 5]", "{3, 5}", L, False, "duplicate element in an unordered list"),
    ("True and False", "True", B, False, "both booleans: hedged"),
]
ISSUE_17_CASES = [
    # --- units in braces, coefficients and bounds ---------------------------------------------------
    ("72{m}^2", "72", N, True, "a unit in braces with a power"),
    ("9{cm}", "9", E, True, "a unit in braces"),
    ("45{quarters}", "45", N, True, "a word unit in braces"),
    ("5z", "5", N, False, "a coefficient of z is not the number 5"),
    ("5z", "5", E, False, "5z is not 5 as an expression either"),
    ("t>12", "12", N, False, "a bound is not the value"),
    ("t>12", "12", E, False, "a bound is not the value (expression)"),
    # --- tiny values: exact or relative, never an absolute epsilon ------------------------------------
    ("\\frac{1}{3^{60}}", "\\frac{1}{3^{61}}", E, False, "tiny powers a factor 3 apart"),
    ("\\frac{1}{1000!}", "\\frac{1}{1001!}", E, False, "reciprocal factorials"),
    ("0", "\\frac{1}{2^{80}}", E, False, "zero is not a tiny value"),
    ("2^{-80}", "\\frac{1}{2^{80}}", E, True, "a tiny value in another form"),
    ("\\frac{1}{2^{1100}}", "0", N, False, "a value a float rounds to 0 is not 0"),
    # --- percent: `12%` is 12 and 0.12; a bare 12 is only 12 ------------------------------------------
    ("12%", "0.12", N, True, "a percent sign means a hundredth"),
    ("12\\%", "0.12", E, True, "LaTeX percent means a hundredth"),
    ("30 percent", "0.3", N, True, "the word percent"),
    ("0.12", "12\\%", E, True, "a percent gold read as a hundredth"),
    ("12", "0.12", N, False, "no x100 rule for a bare number"),
    ("15%", "0.12", N, False, "a different percentage"),
    # --- order decided by kind: solution sets unordered, points and vectors ordered --------------------
    ("(1, 3), (3, 1)", "(3, 1), (1, 3)", E, True, "a set of solution pairs compares as a set"),
    ("(3, 1)", "(1, 3)", E, False, "a point keeps its order"),
    ("5, -1, 2", "-1, 2, 5", E, True, "a bare list of solutions compares as a set"),
    ("5, -1, 2", "-1, 2, 6", E, False, "a different solution set"),
    ("(1, 3), (3, 1)", "(1, 3), (3, 2)", E, False, "one pair differs"),
]
AREA_KEY = parse_gold("{" + clean_free_form("$3630 \\mathrm{ft}^{2}, 522,720 \\mathrm{in}^{2}$") + "}", L)  # College
ISSUE_28_CASES = [
    # --- decimals against exact golds: float noise only (relative 1e-8), on every path ---------------------
    ("1.414214", "\\sqrt{2}", E, False, "six decimals of sqrt(2) are not sqrt(2)"),
    ("3.141593", "\\pi", E, False, "six decimals of pi are not pi"),
    ("0.7071068", "\\sqrt{2}/2", E, False, "seven decimals of sqrt(2)/2 are not it"),
    ("0.5627706", "130/231", E, False, "seven decimals of a fraction are not the fraction"),
    ("0.333333", "\\frac{1}{3}", E, False, "six decimals of 1/3 are not 1/3"),
    ("1.4142135623730951", "\\sqrt{2}", E, True, "a program's double of sqrt(2) is float noise away"),
    ("3.141592653589793", "\\pi", E, True, "a program's double of pi"),
    ("0.5627705627705628", "130/231", E, True, "a program's double of a fraction"),
    ("\\sqrt{2}", "1.414214", E, False, "an exact value is not a rounded decimal gold either"),
    ("1.414214", "1.414", N, True, "NUMBER golds keep their tolerance"),
    # --- the half-unit rule: NUMBER golds of three or more significant figures only -------------------------
    ("0.0273", "0.03", N, False, "0.0273 is not the 0.03 a 'nearest hundredth' question asks for"),
    ("0.0273", "0.03", E, False, "nor as an expression"),
    ("0.03", "0.03", N, True, "the rounded value itself"),
    ("102.33", "102.3", E, False, "an EXPRESSION gold gets no half-unit rule (MATH's 'nearest tenth')"),
    ("102.33", "102.3", N, True, "a four-figure NUMBER gold does"),
    ("102.36", "102.3", N, False, "outside half a unit"),
    # --- answer forms -----------------------------------------------------------------------------------
    ("22.1cm^{2}", "22.1", N, True, "a unit glued to the number"),
    ("22.1cm^{2}", "22.1", E, True, "a glued unit, as an expression"),
    ("3ft", "3", N, True, "a glued unit without a power"),
    ("22.1cm^{2}", "22.2", N, False, "a glued unit, wrong value"),
    ("5 \\text{ or } 9", "{5, 9}", L, True, "'or' between two answers"),
    ("5 or 9", "{9, 5}", L, True, "'or' in plain text"),
    ("5 \\text{ or } 9", "{5, 8}", L, False, "'or' between a right and a wrong answer"),
    ("5 \\text{ or } 9", parse_gold(clean_free_form("$5$ or $9$"), L), L, True, "against a cleaned key"),
    ("3630, 522720", AREA_KEY, L, True, "a key's thousands separator does not split a value"),
    ("3630, 522, 720", AREA_KEY, L, False, "three values are not the key's two"),
]
# Whole responses through extract-then-judge, the path an evaluation takes (issue 17's extraction classes).
RESPONSE_CASES = [
    ("So the pairs are $\\boxed{(1, 3)} \\quad\\text{and}\\quad \\boxed{(3, 1)}$.", "(1, 3), (3, 1)", E, True,
     "several boxes are the whole answer"),
    ("The roots are \\boxed{4}, \\boxed{-1}.", "-1, 4", E, True, "boxes in any order for a solution set"),
    ("The roots are \\boxed{4}, \\boxed{-1}.", "4", E, False, "one root of two is not the answer"),
    ("First $\\boxed{120}$ a month, a year is $\\boxed{1440}$; with the deposit $1440 + 60 = 1500$. Final Answer: "
     "The final answer is $1,500$. I hope it is correct.", "1500", E, True, "the final line beats intermediate boxes"),
    ("Final Answer: The smallest $k$ is 17.", "17", E, True, "an answer sentence's value"),
    ("Final Answer: The smallest $k$ is 18.", "17", E, False, "an answer sentence's wrong value"),
    ("Therefore $y \\leq 7$ is the solution.", "y \\le 7", E, True, "an inequality compared whole"),
    ("Therefore $y \\leq 7$ is the solution.", "7", E, False, "an inequality is not its bound"),
    ("Answer \\( (4+2) \\)", "6", E, True, "the math span, evaluated"),
    ("The code is QX7B", "7", N, False, "a digit in an identifier"),
    ("x = f()\nTraceback (most recent call last):\n  File \"main.py\", line 12, in <module>\n"
     "ZeroDivisionError: division by zero", "12", N, False, "a line number in a traceback"),
    ("so the probability is 2/3 for Alice", "2/3", E, True, "a fraction in prose"),
    ("\\begin{pmatrix} 3 \\\\ -1 \\end{pmatrix}", "\\begin{pmatrix}3\\\\-1\\end{pmatrix}", E, True, "a bare matrix"),
    ("$\\frac{2}{5} \\textbf{ liters}$", "\\frac{2}{5}", E, True, "a bare answer with a bold unit"),
    ("$Odd$", "\\text{Odd}", E, True, "a bare word in math delimiters"),
    ("$Even$", "\\text{Odd}", E, False, "a different bare word"),
    ("Add them.\n\n# Answer\n\n7i - 2", "-2 + 7i", E, True, "PRM800K's answer section, not its last number"),
    ("Add them.\n\n# Answer\n\n(1,2)", "(1, 2)", E, True, "PRM800K's answer section holding a pair"),
    ("Add them.\n\n# Answer\n\n7i - 3", "-2 + 7i", E, False, "PRM800K's answer section, wrong"),
    ("So $\\boxed{5 \\text{ or } 9}$.", "{5, 9}", L, True, "a boxed 'or' of two answers"),
]
TOLERANCE_CASES = {"1.45", "1.49", "11761", "-1.03", "[0.34, 0.25]", "[0.4, 0.25]", "[0.333, 0.25]"}


def _rows():
    for row in CASES + MORE_CASES + ISSUE_17_CASES + ISSUE_28_CASES:
        yield row, None
    for row in CHOICE_OPTION_CASES:
        yield row, OPTIONS
    for row in ROMAN_CASES:
        yield row, ROMAN


ROWS = list(_rows())


def test_table_is_big_and_balanced() -> None:
    assert len(ROWS) >= 150
    negatives = sum(1 for (_, _, _, expected, _), _ in ROWS if not expected)
    assert negatives >= 0.4 * len(ROWS)
    assert {kind for (_, _, kind, _, _), _ in ROWS} == set(AnswerKind)


@pytest.mark.parametrize(("row", "options"), ROWS, ids=[r[4] for r, _ in ROWS])
def test_grading_table(row, options) -> None:
    pred, gold, kind, expected, reason = row
    rel_tol = 0.04 if isinstance(pred, str) and pred in TOLERANCE_CASES else None
    assert is_equivalent(pred, gold, kind, rel_tol=rel_tol, options=options, timeout=3) is expected, reason


def test_percent_flag_opt_in() -> None:
    assert not is_equivalent("500", "5")
    assert is_equivalent("500", "5", percent=True)
    assert is_equivalent("0.05", "5", percent=True)
    assert not is_equivalent("50", "5", percent=True)


@pytest.mark.parametrize("row", RESPONSE_CASES, ids=[r[4] for r in RESPONSE_CASES])
def test_response_table(row) -> None:
    text, gold, kind, expected, reason = row
    assert is_equivalent(extract_answer(text, kind), gold, kind, timeout=10) is expected, reason
