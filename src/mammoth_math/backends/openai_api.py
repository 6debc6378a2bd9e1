"""The ``openai`` backend: any OpenAI-compatible server (vLLM, SGLang, ``transformers serve``, llama.cpp, OpenAI).

Text prompts go to ``/v1/completions``, chat messages to ``/v1/chat/completions``. Messages ending with an
assistant message (a TIR answer resumed after a tool's output) ask the server to continue it: vLLM's and
SGLang's ``continue_final_message``; servers without it (``transformers serve`` answers 422) are served with
``endpoint="completions"``, where messages are rendered here through the model's own chat template (the
``tokenizer`` folder or hub id, default ``model``), as Qwen2.5-Math's evaluation prompts vLLM. Requests run
concurrently on a thread pool sharing one ``httpx`` client; given several base URLs (one vLLM server per
GPU, say), each attempt goes to the server with the fewest requests in flight (then the fewest failures, so
retries leave a dead server), and ``info()`` counts the requests each one answered. 429, 5xx, timeouts and connection errors
are retried with exponential backoff (honouring ``Retry-After``); a request that still fails comes
back as ``Completion(error=...)``, never as an exception and never as text to be graded.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from mammoth_math.backends.base import (
    Completion,
    GenerationRequest,
    SamplingLog,
    continues,
    cut_at_stop,
    error_completion,
    folder_chat_template,
    invalid_reason,
    library_versions,
    render_chat,
)
from mammoth_math.backends.options import option
from mammoth_math.files import COUNT, dumps
from mammoth_math.progress import bar

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class RequestFailed(Exception):
    """One HTTP attempt failed; ``retry`` says whether another attempt may succeed."""

    def __init__(self, message: str, retry: bool, wait_s: float | None = None):
        super().__init__(message)
        self.retry, self.wait_s = retry, wait_s


@dataclass(frozen=True)
class OpenAIOptions:
    """The openai backend's options (``backend_options`` keys; ``eval``/``probe`` flags where marked)."""

    passes_extra: ClassVar[bool] = False
    base_url: str | Sequence[str] = option(("http://127.0.0.1:8000/v1",), "server URL(s) ending in /v1; several: "
                                           "requests are spread over them", flag=True)
    api_key: str | None = option(None, "default: $OPENAI_API_KEY")
    endpoint: Literal["auto", "completions", "chat"] = option("auto", "which endpoint", flag=True)
    concurrency: int = option(8, "requests in flight", flag=True, bound=COUNT)
    max_retries: int = option(5, "attempts after the first, for 429, 5xx, timeouts and lost connections")
    timeout_s: float = option(600.0, "seconds per HTTP call")
    backoff_s: float = option(1.0, "first wait between attempts, doubled each time")
    max_backoff_s: float = option(60.0, "longest wait between attempts")
    extra_body: dict[str, Any] | None = field(default=None, metadata={"help": "added to every request's body"})
    tokenizer: str | None = option(None, "where chat messages sent to /completions take their template "
                                         "(default: the model)")


class OpenAIBackend:
    """Client for OpenAI-compatible servers at ``base_url`` (one URL or several, each ending in ``/v1``)."""

    name = "openai"

    def __init__(self, model: str, options: OpenAIOptions = OpenAIOptions()):
        import httpx  # here, not at import: the command line reads OpenAIOptions without loading the client

        self.model = model
        self.tokenizer = options.tokenizer or model  # where chat messages sent to /completions take their template from
        self._template: Any = None
        urls = [options.base_url] if isinstance(options.base_url, str) else list(options.base_url)
        if not urls:
            raise ValueError("openai backend: no base_url given")
        self.base_urls = [url.rstrip("/") for url in urls]
        self._in_flight = dict.fromkeys(self.base_urls, 0)
        self._served = dict.fromkeys(self.base_urls, 0)  # HTTP calls answered per server
        self._failed = dict.fromkeys(self.base_urls, 0)
        self._lock = threading.Lock()
        self.endpoint = options.endpoint
        self.concurrency = options.concurrency
        self.max_retries = options.max_retries
        self.timeout_s = options.timeout_s
        self.backoff_s, self.max_backoff_s = options.backoff_s, options.max_backoff_s
        self.extra_body = dict(options.extra_body or {})
        key = options.api_key if options.api_key is not None else os.environ.get("OPENAI_API_KEY", "")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        timeout = httpx.Timeout(options.timeout_s, connect=min(options.timeout_s, 30.0))
        self._client = httpx.Client(headers=headers, timeout=timeout,
                                    limits=httpx.Limits(max_connections=options.concurrency))
        self._sampling = SamplingLog()

    def info(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, "base_urls": self.base_urls, "servers": dict(self._served),
                "endpoint": self.endpoint,
                "concurrency": self.concurrency, "max_retries": self.max_retries, "extra_body": self.extra_body,
                "versions": library_versions("httpx"), "sampling": self._sampling.settings(),
                **({"tokenizer": self.tokenizer} if self.tokenizer != self.model else {})}

    def chat_template(self) -> str | None:
        """A server does not publish its template; one saved in the ``tokenizer`` (or model) folder is read."""
        return folder_chat_template(self.tokenizer)

    def close(self) -> None:
        self._client.close()

    def generate(self, requests: Sequence[GenerationRequest], progress: bool = False) -> list[Completion]:
        found: list[Completion | None] = [None] * len(requests)
        for i, completion in self.generate_each(requests, progress):
            found[i] = completion
        return [c for c in found if c is not None]

    def generate_each(self, requests: Sequence[GenerationRequest],
                      progress: bool = False) -> Iterator[tuple[int, Completion]]:
        """``(index, completion)`` of each request as the server finishes it (any order): the response cache keeps
        each one at once, so a run killed mid-batch loses only the requests in flight."""
        self._sampling.add(requests)
        with bar("generating (openai)", len(requests), enabled=progress) as b, \
                ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures = {pool.submit(self._complete, request): i for i, request in enumerate(requests)}
            try:
                for future in as_completed(futures):
                    b.advance()
                    yield futures[future], future.result()
            finally:  # the caller stopped early (Ctrl-C): requests not yet sent are not sent
                for future in futures:
                    future.cancel()

    # --- one request -----------------------------------------------------------------------------

    def _complete(self, request: GenerationRequest) -> Completion:
        reason = invalid_reason(request)
        if reason:
            return error_completion(request, reason)
        started = time.perf_counter()
        texts: list[str] = []
        reasons: list[str] = []
        prompt_tokens = completion_tokens = 0
        attempt_seed = request.seed
        while len(texts) < request.n:  # servers that ignore ``n`` return one choice: ask again for the rest
            try:
                data = self._post_with_retries(request, request.n - len(texts), attempt_seed)
            except RequestFailed as e:
                return error_completion(request, str(e), time.perf_counter() - started)
            choices = sorted(data.get("choices") or [], key=lambda c: c.get("index", 0))
            if not choices:
                return error_completion(request, f"server returned no choices: {str(data)[:200]}",
                                        time.perf_counter() - started)
            for choice in choices[:request.n - len(texts)]:
                text, stopped = cut_at_stop(_choice_text(choice), request.stop)
                texts.append(text)
                reasons.append("stop" if stopped else str(choice.get("finish_reason") or "stop"))
            usage = data.get("usage") or {}
            prompt_tokens = int(usage.get("prompt_tokens") or prompt_tokens)
            completion_tokens += int(usage.get("completion_tokens") or 0)
            attempt_seed = None if attempt_seed is None else attempt_seed + len(texts)  # new samples, not repeats
        return Completion(texts, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                          seconds=time.perf_counter() - started, finish_reasons=reasons)

    def _body(self, request: GenerationRequest, n: int, seed: int | None) -> tuple[str, dict[str, Any]]:
        chat = self.endpoint == "chat" or (self.endpoint == "auto" and not isinstance(request.prompt, str))
        body: dict[str, Any] = {"model": self.model, "max_tokens": request.max_new_tokens,
                                "temperature": request.temperature, "top_p": request.top_p, "n": n}
        if request.stop:
            body["stop"] = list(request.stop)
        if seed is not None:
            body["seed"] = seed
        if chat:
            prompt = request.prompt
            body["messages"] = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
            if continues(prompt):  # vLLM's and SGLang's chat API: go on with the final assistant message
                body.update(add_generation_prompt=False, continue_final_message=True)
            return "/chat/completions", {**body, **self.extra_body}
        return "/completions", {**body, "prompt": self._text(request.prompt), **self.extra_body}

    def _text(self, prompt: str | tuple[dict[str, str], ...]) -> str:
        """A prompt for ``/completions``: text as it is, chat messages rendered through the model's chat template."""
        if isinstance(prompt, str):
            return prompt
        with self._lock:  # one load, whichever request thread comes first
            if self._template is None:
                try:
                    from transformers import AutoTokenizer

                    self._template = AutoTokenizer.from_pretrained(self.tokenizer)
                except Exception as e:  # no transformers, no such folder, no hub: the request cannot be built
                    raise RequestFailed(f"chat messages on the completions endpoint need the model's chat template "
                                        f"(tokenizer {self.tokenizer!r}: {type(e).__name__}: {e}); or use "
                                        f"endpoint='chat'", False) from None
        return render_chat(self._template, prompt)

    def _post_with_retries(self, request: GenerationRequest, n: int, seed: int | None) -> dict[str, Any]:
        return self.post_json(*self._body(request, n, seed))

    def post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body`` to ``path`` under the least busy base URL, retried with backoff; :class:`RequestFailed`
        when every attempt failed (the served reward model's endpoints use this too)."""
        last = "no attempt made"
        for attempt in range(self.max_retries + 1):
            try:
                return self._post(path, body)
            except RequestFailed as e:
                last = str(e)
                if not e.retry or attempt == self.max_retries:
                    break
                wait = min(self.max_backoff_s, e.wait_s if e.wait_s is not None else self.backoff_s * 2**attempt)
                wait *= 1 + 0.1 * random.random()  # jitter: concurrent retries do not hit the server in lockstep
                log.info("retrying %s in %.2f s (attempt %d): %s", path, wait, attempt + 1, e)
                time.sleep(wait)
        raise RequestFailed(f"{path} failed after {attempt + 1} attempt(s): {last}", False)

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:  # ties go to the first server, so a single URL behaves as before
            url = min(self.base_urls, key=lambda u: (self._in_flight[u], self._failed[u]))
            self._in_flight[url] += 1
        failed = True
        try:
            data = self._post_to(url + path, body)
            failed = False
        finally:
            with self._lock:
                self._in_flight[url] -= 1
                if failed:
                    self._failed[url] += 1
                else:
                    self._served[url] += 1
        return data

    def _post_to(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        import httpx

        try:
            # our own encoding: a prompt holding a lone surrogate (a data file's "\ud800") goes as a JSON escape
            response = self._client.post(url, content=dumps(body).encode("utf-8"),
                                         headers={"Content-Type": "application/json"})
        except httpx.TimeoutException as e:
            raise RequestFailed(f"timeout ({type(e).__name__})", True) from None
        except httpx.TransportError as e:  # connection refused/reset, protocol errors
            raise RequestFailed(f"connection error ({type(e).__name__}: {e})", True) from None
        if response.status_code != 200:
            retry = response.status_code in RETRY_STATUS or response.status_code >= 500
            raise RequestFailed(f"HTTP {response.status_code}: {response.text[:300]}", retry,
                                _retry_after(response.headers.get("retry-after")))
        try:
            data = response.json()
        except ValueError:
            raise RequestFailed(f"invalid JSON from server: {response.text[:200]!r}", True) from None
        if not isinstance(data, dict):
            raise RequestFailed(f"unexpected response: {str(data)[:200]}", True)
        return data


def _choice_text(choice: dict[str, Any]) -> str:
    if "message" in choice:
        return (choice["message"] or {}).get("content") or ""
    return choice.get("text") or ""


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:  # an HTTP date: fall back to our own backoff
        return None
