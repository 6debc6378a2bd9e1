"""The one path by which text (a model's, a data set's) enters an HTML page.

Model text is hostile: it may hold ``</script>``, ``<!--<script>``, ``<img onerror>`` or a template's own
markers. So a page is filled in one pass (:func:`fill`: a value is never scanned for markers again), JSON goes
into a ``<script type="application/json">`` block through :func:`script_json` (``<``, ``>``, ``&``, U+2028/9
as ``\\u`` escapes, so nothing can end the block or open a comment in it), and text goes into HTML through
:func:`escape`; a lone surrogate (a data file may hold one) becomes U+FFFD in both, as no page can show it. Every page and section the package writes uses these three.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mammoth_math.files import atomic_writer, writable

MARKER = re.compile(r"__([A-Z]+(?:_[A-Z]+)*)__")  # __DATA__, __SECTIONS__, ...
_UNSAFE_IN_SCRIPT = re.compile("[<>&\u2028\u2029]")


def escape(text: Any) -> str:
    """``text`` as HTML text or attribute value (quotes escaped too); a lone surrogate becomes U+FFFD."""
    return html.escape(writable("" if text is None else str(text)))


def script_json(obj: Any) -> str:
    """``obj`` as JSON that is safe inside a ``<script>`` block: no character of it can end the block, start a
    comment or break a line of the script; ``JSON.parse`` reads back the same strings (lone surrogates as U+FFFD:
    Chromium fails on a page that shows one)."""
    text = writable(json.dumps(obj, ensure_ascii=False))
    return _UNSAFE_IN_SCRIPT.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``__NAME__`` marker replaced by ``values[NAME]``, all in one pass: text inside a
    value that looks like a marker stays as it is. Every marker must have a value and every value a marker."""
    used: set[str] = set()

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"template marker __{name}__ has no value")
        used.add(name)
        return values[name]

    page = MARKER.sub(one, template)
    if missing := set(values) - used:
        raise KeyError(f"no marker in the template for {sorted(missing)}")
    return page


def write_page(path: str | Path, template: str, values: Mapping[str, str]) -> None:
    """Fill ``template`` (:func:`fill`) and write it atomically as UTF-8."""
    page = fill(template, values)
    with atomic_writer(path) as f:
        f.write(page)
