"""Reading our inputs loudly and writing our outputs safely.

Every loader reports bad input as :class:`InputError` naming file, line and field. Every writer
either replaces a file atomically (temp file + rename) or appends whole, flushed JSONL lines, so a
crash never leaves a half-written file behind and a resumed run can trust what it finds; a folder is
built under ``<name>.partial`` and renamed when complete (:func:`atomic_folder`). Files get the mode
the user's umask gives (0644 by default), not the 0600 of a bare temp file, so reports can be shared.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

T = TypeVar("T")

_SURROGATE = re.compile("[\ud800-\udfff]")  # only lone ones survive in a str: json.loads joins pairs


def writable(text: str) -> str:
    """``text`` with every lone surrogate (a server's JSON ``"\\ud800"``) replaced by U+FFFD, so it can be
    encoded as UTF-8: what model text is made into where it enters (``backends.base.Completion``)."""
    return _SURROGATE.sub("\ufffd", text)


def dumps(obj: Any, indent: int | None = None) -> str:
    """``obj`` as JSON, non-ASCII kept readable; a document holding a lone surrogate is written with ASCII
    escapes instead (``\\ud800``), so every writer can encode it and a reader gets back the same text."""
    text = json.dumps(obj, indent=indent, ensure_ascii=False)
    return json.dumps(obj, indent=indent) if _SURROGATE.search(text) else text


class InputError(ValueError):
    """Bad input data: the message names the file, the line (1-based) and the field."""

    def __init__(self, path: str | os.PathLike, message: str, line: int | None = None, field: str | None = None):
        self.path, self.line, self.field = str(path), line, field
        where = self.path + (f":{line}" if line is not None else "")
        what = f" field {field!r}:" if field is not None else ""
        super().__init__(f"{where}:{what} {message}")


def read_json(path: str | os.PathLike) -> Any:
    """Load one JSON document, naming the file and line on a syntax error."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise InputError(path, f"invalid JSON ({e.msg}, column {e.colno})", line=e.lineno) from None
    except UnicodeDecodeError as e:
        raise InputError(path, f"not UTF-8 ({e.reason})") from None


def iter_jsonl(path: str | os.PathLike, skip_torn_tail: bool = False) -> Iterator[tuple[int, dict]]:
    """Yield ``(line_number, object)`` for each non-blank line of a JSONL file.

    ``skip_torn_tail`` ignores a last line without a newline that does not parse: that is what a
    killed writer leaves behind, and a resuming run must redo that record, not fail on it.
    """
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            obj = json_line(raw, path, number)
        except InputError:
            if skip_torn_tail and number == len(lines):
                return
            raise
        yield number, obj


def json_line(raw: bytes, path: str | os.PathLike, line: int) -> dict:
    """One JSONL line as an object, else :class:`InputError` naming file and line."""
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(path, f"invalid JSON line ({e})", line=line) from None
    return json_object(obj, path, line)


def json_object(obj: Any, path: str | os.PathLike, line: int | None) -> dict:
    """``obj`` itself when it is a JSON object (a record), else :class:`InputError` naming file and line."""
    if not isinstance(obj, dict):
        raise InputError(path, f"expected a JSON object, got {type(obj).__name__}", line=line)
    return obj


def read_records(path: str | os.PathLike, required: Sequence[str], build: Callable[[dict], T], what: str) -> list[T]:
    """Records of a JSONL file a resumable run appends to: a torn last line (a killed writer) is ignored,
    anything else bad fails naming the line; ``build`` turns one object into a record."""
    records = []
    for line, obj in iter_jsonl(path, skip_torn_tail=True):
        require_fields(obj, required, path, line)
        try:
            records.append(build(obj))
        except (TypeError, KeyError) as e:  # an unknown or missing field
            raise InputError(path, f"not {what} ({e})", line=line) from None
    return records


def read_yaml_config(path: str | os.PathLike, fields: Collection[str]) -> dict[str, Any]:
    """The key-value mapping of a YAML config whose keys must be among ``fields`` (a dataclass's fields).

    The one reader behind ``data build``, ``train`` and ``eval --config``: bad YAML names the line, an
    unknown key names file and key. Values are checked by the caller (:func:`check_fields` with
    :func:`yaml_lines`), after it has turned its shorthands (``shard: 0/2``) into field values.
    """
    import yaml

    try:
        loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        raise InputError(path, f"invalid YAML ({e})", line=None if line is None else line + 1) from None
    if not isinstance(loaded, dict):
        raise InputError(path, "expected a mapping of config keys")
    for key in loaded:
        if key not in fields:
            raise InputError(path, "unknown config key", field=str(key))
    return loaded


def yaml_lines(path: str | os.PathLike) -> dict[str, int]:
    """The line (1-based) of each top-level key of a YAML mapping read by :func:`read_yaml_config`."""
    import yaml

    node = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    return {key.value: key.start_mark.line + 1 for key, _ in node.value} if node is not None else {}


# (least, most, least excluded): ``(1, None, False)`` is a count, ``(0, None, True)`` a positive number.
Bound = tuple[float | None, float | None, bool]
COUNT: Bound = (1, None, False)
POSITIVE: Bound = (0, None, True)
NON_NEGATIVE: Bound = (0, None, False)


def check_fields(schema: type, values: Mapping[str, Any], where: str | os.PathLike,
                 bounds: Mapping[str, Bound], lines: Mapping[str, int | None] | None = None, prefix: str = "") -> None:
    """Each of ``values`` has its ``schema`` field's type (``limit: five`` is not an ``int | None``) and lies
    within its bound, else :class:`InputError` naming ``where``, the line (``lines``: YAML key -> line) and the
    field (``prefix`` + key, for a nested mapping): checked before anything is loaded or written, not met as a
    traceback minutes later."""
    import typing

    hints = typing.get_type_hints(schema)
    for key, value in values.items():
        line = (lines or {}).get(key)
        if key in hints and not _has_type(value, hints[key]):
            raise InputError(where, f"expected {_type_name(hints[key])}, got {value!r}", line, prefix + key)
        if key in bounds and isinstance(value, (int, float)) and not isinstance(value, bool):
            problem = out_of_bounds(value, bounds[key])
            if problem:
                raise InputError(where, f"{problem}, got {value!r}", line, prefix + key)


def out_of_bounds(value: float, bound: Bound) -> str | None:
    """What ``value`` breaks of ``bound`` ("must be >= 1"), or None."""
    low, high, above = bound
    if low is not None and (value <= low if above else value < low):
        return f"must be {'>' if above else '>='} {low:g}"
    if high is not None and value > high:
        return f"must be <= {high:g}"
    return None


def _has_type(value: Any, hint: Any) -> bool:
    """``value`` fits the annotation ``hint`` (YAML's int counts as a float; types we cannot judge pass)."""
    import types
    import typing
    from enum import Enum

    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or isinstance(hint, typing.TypeVar):
        return True
    if hint is type(None):
        return value is None
    if origin in (typing.Union, types.UnionType):
        return any(_has_type(value, arm) for arm in args)
    if origin is typing.Literal:
        return value in args
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return any(value in (m.value, m.name) for m in hint)
    if origin in (list, tuple, Sequence) or hint in (list, tuple):
        if not isinstance(value, (list, tuple)):
            return False
        if origin is tuple and args and args[-1] is not Ellipsis:
            return len(value) == len(args) and all(map(_has_type, value, args))
        return not args or all(_has_type(v, args[0]) for v in value)
    if origin is dict or hint is dict:
        return isinstance(value, dict)
    return True


def _type_name(hint: Any) -> str:
    import types
    import typing

    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(arm) for arm in args)
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in args)
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false", type(None): "null"}
    if hint in names:
        return names[hint]
    if origin in (list, tuple, Sequence):
        return "a list" + (f" of {_type_name(args[0])}" if args and args[-1] is Ellipsis or len(args) == 1 else "")
    return getattr(hint, "__name__", str(hint))


def require_fields(obj: Mapping, fields: Sequence[str], path: str | os.PathLike, line: int | None = None) -> None:
    """Raise :class:`InputError` for the first of ``fields`` missing from ``obj``."""
    for name in fields:
        if name not in obj:
            raise InputError(path, "missing", line=line, field=name)


@contextmanager
def atomic_writer(path: str | os.PathLike, mode: str = "w") -> Iterator[IO]:
    """Open a temp file beside ``path``; rename it over ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:  # a read-only folder: name it, not our temp file the user never heard of
        raise type(e)(e.errno, f"{e.strerror} (writing {path.name})", str(path.parent)) from None
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # what open() would have given
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process umask, read without changing it (``os.umask`` sets it, racing other threads' writes)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022  # not Linux: the usual default


PARTIAL = ".partial"  # suffix of a folder being built; it is renamed when complete


@contextmanager
def atomic_folder(path: str | os.PathLike) -> Iterator[Path]:
    """Yield ``<path>.partial`` to write into; when the block succeeds it replaces ``path`` (a killed run
    leaves only the ``.partial`` folder, so ``path`` is always a complete one or absent)."""
    import shutil

    path = Path(path)
    partial = path.with_name(path.name + PARTIAL)
    shutil.rmtree(partial, ignore_errors=True)  # a killed earlier attempt
    try:
        partial.mkdir(parents=True)
    except OSError as e:  # a read-only parent: name the folder asked for, not our .partial
        raise type(e)(e.errno, e.strerror, str(path)) from None
    yield partial
    if path.exists():
        old = path.with_name(path.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        path.rename(old)
        partial.rename(path)
        shutil.rmtree(old)
    else:
        partial.rename(path)


def check_finished(path: str | os.PathLike) -> Path:
    """``path`` as a complete output folder, or :class:`InputError` saying it is missing or unfinished."""
    path = Path(path)
    if path.name.endswith(PARTIAL):
        raise InputError(path, "an unfinished build (killed before it completed); run the build again")
    if not path.is_dir():
        unfinished = path.with_name(path.name + PARTIAL)
        hint = f"; {unfinished} is an unfinished build: run it again" if unfinished.exists() else ""
        raise InputError(path, f"no such folder{hint}")
    return path


def write_json(path: str | os.PathLike, obj: Any, indent: int | None = 2) -> None:
    with atomic_writer(path) as f:
        f.write(dumps(obj, indent) + "\n")


def write_jsonl(path: str | os.PathLike, rows: Iterable[Mapping]) -> int:
    """Atomically write ``rows`` as JSONL; returns the number written."""
    n = 0
    with atomic_writer(path) as f:
        for row in rows:
            f.write(dumps(row) + "\n")
            n += 1
    return n


class JsonlAppender:
    """Append records one whole line at a time, flushed, for runs that must resume after a crash.

    On open, a torn last line (no trailing newline) left by a killed writer is cut off first.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _truncate_torn_tail(self.path)
        self._f = open(self.path, "a", encoding="utf-8")

    def write(self, row: Mapping) -> None:
        self._f.write(dumps(row) + "\n")
        self._f.flush()

    def sync(self) -> None:
        """fsync what was written: it then survives a crash of the machine, not only of the process."""
        os.fsync(self._f.fileno())

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _truncate_torn_tail(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as f:
        data = f.read()
        if data.endswith(b"\n"):
            return
        f.truncate(data.rfind(b"\n") + 1)
