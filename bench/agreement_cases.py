"""Each disagreement with PRM800K's grader on the public answer set, argued: key -> (category, why).

Keys are ``file stem:row:sample`` of the harness output files named in ``bench/agreement.py``'s docstring.
"""

ARGUED: dict[str, tuple[str, str]] = {
}
