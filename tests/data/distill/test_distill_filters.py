"""Every distillation filter on scripted samples with known fates (a tiny model's samples are garbage),
programs run in the real sandbox."""

from __future__ import annotations

from mammoth_math.data.config import SourceSpec
from mammoth_math.data.distill.config import DistillConfig
from mammoth_math.data.distill.filters import STAGES, Sampled, filter_samples
from mammoth_math.data.examples import SeedProblem

P1 = SeedProblem("gsm8k", "gsm8k/1", "What is 2 plus 3?", "5", "number")
P2 = SeedProblem("gsm8k", "gsm8k/2", "What is 5 times 2?", "10", "number")
P3 = SeedProblem("gsm8k", "gsm8k/3", "What is half of one?", "", "number")  # no gold: majority
P4 = SeedProblem("gsm8k", "gsm8k/4", "What is 4 minus 1?", "", "number")  # no gold, a tie
LONG = "Adding the two numbers step by step. " * 40 + "The answer is 5."

COT = {
    P1: ["2 + 3 = 5. The answer is 5.",  # kept
         "2 + 3 = 6, so the answer is 5.",  # bad arithmetic (the answer is right)
         "The answer is 7. No wait, the answer is 5.",  # multiple answers
         "The answer is 4.",  # wrong
         "",  # no answer
         LONG],  # length outlier (max_chars)
    P2: ["The answer is 10."] * 6,  # all right: pass rate 1.0, out of the window
    P3: ["Half is 1/2. The answer is 1/2.", "The answer is 0.5.", "So \\boxed{\\frac{1}{2}}.", "The answer is 2.",
         "no idea", "The answer is 0.5."],  # majority 0.5 (4 of 6 agree); 1 wrong, 1 no answer
    P4: ["The answer is 3."] * 3 + ["The answer is 4."] * 3,  # a tie: unlabelled
}
POT = {
    P1: ["print(2 + 3)", "print(2 + 3)",  # the second is a duplicate of the first
         "a = 2\nb = 3\nprint(a + b)",  # kept (second distinct)
         "total = 5\nprint(total)",  # over the cap m=2
         "print(4)",  # wrong
         "print(2)\nprint(5)"],  # multiple answers
    P2: ["print(1)"] * 6,  # all wrong
    P3: ["print(1/2)", "print(0.5)", "print(1 / 2)", "x = 1\nprint(x / 2)", "raise ValueError", "print(0.5 * 1)"],
    P4: ["print(3)"] * 3 + ["print(4)"] * 3,
}


def _config(**over) -> DistillConfig:
    values = dict(sources=(SourceSpec("gsm8k"),), model="scripted", k=6, max_per_problem=2, max_chars=1000,
                  pass_rate_min=0.1, pass_rate_max=0.9, majority_share=0.5, near_dup_threshold=0.8)
    return DistillConfig(**(values | over))


def _sampled():
    return ([Sampled(p, "cot", tuple(texts)) for p, texts in COT.items()]
            + [Sampled(p, "pot", tuple(texts)) for p, texts in POT.items()])


def test_every_filter_counts_its_known_drops(runner):
    result = filter_samples(_sampled(), _config(), runner)
    # cot: P3's two "The answer is 0.5." are one solution; of its three distinct right ones m=2 are kept
    assert result.counts["cot"] == {
        "sampled": 24, "no_answer": 2, "unlabelled": 6, "wrong": 2, "out_of_window": 6, "multiple_answers": 1,
        "bad_arithmetic": 1, "length_outlier": 1, "near_duplicate": 1, "over_cap": 1, "kept": 3}
    # pot: "print(1/2)" and "print(1 / 2)" are duplicates too; P1 and P3 each have more than m distinct programs
    assert result.counts["pot"] == {
        "sampled": 24, "no_answer": 1, "unlabelled": 6, "wrong": 7, "out_of_window": 0, "multiple_answers": 1,
        "bad_arithmetic": 0, "length_outlier": 0, "near_duplicate": 2, "over_cap": 3, "kept": 4}
    for counts in result.counts.values():
        assert counts["sampled"] == sum(counts[s] for s in STAGES[1:])
    assert result.problems == {"gold": 2, "majority": 1, "unlabelled_tie": 1}
    assert result.label_accuracy is None  # no majority-labelled problem had a gold to check against


def test_hidden_golds_are_majority_labelled_and_checked(runner):
    result = filter_samples(_sampled(), _config(use_gold=False), runner)
    # P1: 5 agree of 12 (cot 4 + pot 5 = 9 of 12); P2: 6 say 10, 6 say 1: a tie
    assert result.problems == {"majority": 2, "unlabelled_tie": 2}
    assert result.label_accuracy == {"checked": 1, "correct": 1, "accuracy": 1.0}


def test_a_higher_agreement_bar_drops_the_problem(runner):
    result = filter_samples(_sampled(), _config(majority_share=0.8), runner)
    assert result.problems == {"gold": 2, "unlabelled_too_few": 1, "unlabelled_tie": 1}


def test_kept_rows_carry_teacher_pass_rate_and_label(runner):
    rows = filter_samples(_sampled(), _config(teacher="scripted-teacher"), runner).rows
    by_problem = {(r.meta["problem"], r.rationale_type): r for r in rows}
    p1 = by_problem[("gsm8k/1", "cot")]
    assert p1.output == "2 + 3 = 5. The answer is 5."
    assert p1.meta == {"teacher": "scripted-teacher", "label": "5", "label_from": "gold", "pass_rate": 0.6667,
                       "problem": "gsm8k/1", "from": "gsm8k"}
    p3 = by_problem[("gsm8k/3", "pot")]
    assert (p3.gold, p3.meta["label_from"], p3.meta["pass_rate"], p3.source) == ("0.5", "majority", 0.8333, "distilled")
    assert [r.id for r in rows] == ["distilled/gsm8k/1#cot-0", "distilled/gsm8k/3#cot-0", "distilled/gsm8k/3#cot-1",
                                    "distilled/gsm8k/1#pot-0", "distilled/gsm8k/1#pot-2", "distilled/gsm8k/3#pot-0",
                                    "distilled/gsm8k/3#pot-1"]

