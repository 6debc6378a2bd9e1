"""A response cache under any backend: the same request to the same model returns the stored completion.

:class:`CachingBackend` wraps a backend once (lm-eval's ``CachingLM`` idea), so a re-run after a crash, a
changed grader or a requeued cluster task costs no generation. The key hashes everything that changes the
output: backend kind, model identity (a local model folder's file sizes and times too, so a retrained model
never reads its predecessor's answers), prompt, every sampling setting, stop strings, max tokens, seed.

Storage is a folder of JSONL files, one per writing process (``<host>-<pid>-<token>.jsonl``): shards on
several nodes share one folder on a network file system without locks (SQLite's locking is unreliable on
NFS); each completion is appended as a whole, flushed line as it arrives (a server's, one request at a time),
each batch fsynced at its end, and a line torn by ``kill -9`` is skipped on read.
Failed requests are never stored: the next run asks again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import socket
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mammoth_math.backends.base import (
    Backend,
    Completion,
    GenerationRequest,
    completions_as_done,
    sampling_settings,
)
from mammoth_math.files import JsonlAppender, iter_jsonl

log = logging.getLogger(__name__)

# info() fields that do not change what a model writes: where it is served from, how fast, which versions.
_NOT_IDENTITY = frozenset({"sampling", "versions", "base_url", "base_urls", "servers", "concurrency",
                           "max_retries", "batch_size", "device", "tensor_parallel_size", "data_parallel_size",
                           "gpu_memory_utilization"})


def model_identity(info: dict[str, Any]) -> dict[str, Any]:
    """What names the model behind a backend: its ``info()`` less serving details, plus a local folder's files."""
    identity = {k: v for k, v in info.items() if k not in _NOT_IDENTITY}
    model = str(info.get("model", ""))
    if model and Path(model).is_dir():
        identity["files"] = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns)
                                   for p in Path(model).iterdir() if p.is_file())
    return identity


def request_key(identity: dict[str, Any], request: GenerationRequest, occurrence: int = 0) -> str:
    """The cache key of ``request``; ``occurrence`` tells apart identical unseeded sampled requests of one batch."""
    prompt = request.prompt if isinstance(request.prompt, str) else [dict(m) for m in request.prompt]
    body = {"identity": identity, "prompt": prompt, **sampling_settings(request), "occurrence": occurrence}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


class ResponseStore:
    """The on-disk map from key to completion: every ``*.jsonl`` under ``folder``, read once at open."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._entries: dict[str, dict[str, Any]] = {}
        for path in sorted(self.folder.glob("*.jsonl")):
            for _, entry in iter_jsonl(path, skip_torn_tail=True):
                self._entries[entry["key"]] = entry
        self._own = self.folder / f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}.jsonl"
        self._appender: JsonlAppender | None = None

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Completion | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        return Completion(list(entry["texts"]), entry["prompt_tokens"], entry["completion_tokens"], entry["seconds"],
                          None, list(entry["finish_reasons"]), list(entry.get("sample_tokens", [])))

    def put(self, key: str, c: Completion) -> None:
        """Append a successful completion as one flushed line: from then on it survives a kill of the process."""
        if self._appender is None:
            self._appender = JsonlAppender(self._own)
        entry = {"key": key, "texts": c.texts, "prompt_tokens": c.prompt_tokens,
                 "completion_tokens": c.completion_tokens, "seconds": c.seconds,
                 "finish_reasons": c.finish_reasons, "sample_tokens": c.sample_tokens}
        self._appender.write(entry)
        self._entries[key] = entry

    def sync(self) -> None:
        """fsync what was put: it then survives a crash of the node too (once per batch: fsync is slow on NFS)."""
        if self._appender is not None:
            self._appender.sync()

    def close(self) -> None:
        if self._appender is not None:
            self._appender.close()


class CachingBackend:
    """Any :class:`Backend` behind a :class:`ResponseStore`: hits come from disk, misses go to ``inner``."""

    def __init__(self, inner: Backend, folder: str | os.PathLike):
        self.inner = inner
        self.name = inner.name
        self.store = ResponseStore(folder)
        self.identity = model_identity(inner.info())
        self.hits = self.misses = 0

    def __getattr__(self, name: str) -> Any:
        # what evaluation reads off some backends (a tokenizer, a chat template) comes from the wrapped one
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def info(self) -> dict[str, Any]:
        return self.inner.info() | {"cache": {"folder": str(self.store.folder), "hits": self.hits,
                                              "misses": self.misses}}

    def generate(self, requests: Sequence[GenerationRequest], progress: bool = False) -> list[Completion]:
        return [c for c, _ in self.generate_marked(requests, progress)]

    def generate_marked(self, requests: Sequence[GenerationRequest],
                        progress: bool = False) -> list[tuple[Completion, bool]]:
        """Completions in request order, each with whether it came from the cache."""
        keys = self._keys(requests)
        found = [self.store.get(k) for k in keys]
        missing = [i for i, c in enumerate(found) if c is None]
        try:
            for j, c in completions_as_done(self.inner, [requests[i] for i in missing], progress) if missing else ():
                found[missing[j]] = c
                if c.error is None:  # kept as it arrives: a kill loses only what is still in flight
                    self.store.put(keys[missing[j]], c)
        finally:
            self.store.sync()
        self.hits += len(requests) - len(missing)
        self.misses += len(missing)
        log.debug("cache: %d hits, %d misses", len(requests) - len(missing), len(missing))
        new = set(missing)
        return [(c, i not in new) for i, c in enumerate(found) if c is not None]

    def _keys(self, requests: Sequence[GenerationRequest]) -> list[str]:
        # Identical sampled requests without a seed are distinct draws: number them, so a re-run of the batch
        # maps each to its own stored draw instead of collapsing them into one.
        seen: Counter[str] = Counter()
        keys = []
        for request in requests:
            base = request_key(self.identity, request)
            if request.temperature > 0 and request.seed is None:
                keys.append(request_key(self.identity, request, seen[base]))
                seen[base] += 1
            else:
                keys.append(base)
        return keys

    def close(self) -> None:
        self.store.close()
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()
