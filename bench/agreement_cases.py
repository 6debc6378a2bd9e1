"""Each disagreement with PRM800K's grader on the public answer set, argued: key -> (category, why).

Keys are ``file stem:row:sample`` of the harness output files named in ``bench/agreement.py``'s docstring
(Qwen2.5-Math's ``evaluation/data/eval_rm_maj_example/math_cot_100.jsonl``, ToRA's
``src/outputs/llm-agents/{tora-70b-v1.0,tora-code-34b-v1.0}/gsm8k/test_tora_-1_seed0_t0.0_s0_e1319.jsonl``).
"""

_PROGRAM_OUTPUT = ("ours right: the answer is a program's output, stated in words",
                   "the response boxes nothing: its program prints the gold ({gold}) in its ```output``` block and the "
                   "closing sentence states it ('Two people accept the position.'); ToRA's own parser reads the same "
                   "value, and PRM800K's grader, given no answer section and no box, has nothing to compare")

ARGUED: dict[str, tuple[str, str]] = {
    key: _PROGRAM_OUTPUT for key in (
        "tora_tora-70b-v1.0_gsm8k:14:0", "tora_tora-70b-v1.0_gsm8k:118:0", "tora_tora-70b-v1.0_gsm8k:367:0",
        "tora_tora-70b-v1.0_gsm8k:630:0", "tora_tora-70b-v1.0_gsm8k:718:0", "tora_tora-70b-v1.0_gsm8k:728:0",
        "tora_tora-code-34b-v1.0_gsm8k:718:0")
}
