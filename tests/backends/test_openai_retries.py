"""The openai backend against a local fault-injecting server: retries on 429/5xx/timeouts/drops, errors recorded."""

from __future__ import annotations

import pytest
from helpers.servers import fault_server, free_port

from mammoth_math.backends import GenerationRequest, make_backend

REQ = GenerationRequest("Q: 6*7?\nA:", max_new_tokens=5, stop=("\n",))


def _client(base_url: str, **kw):
    return make_backend("openai", "fault", base_url=base_url, backoff_s=0.01, **kw)


@pytest.mark.parametrize("faults", [["429", "500", "503"], ["hang"], ["drop", "drop"]])
def test_transient_faults_are_retried_until_success(faults: list[str]) -> None:
    with fault_server(faults, hang_s=2.0) as server:
        (c,) = _client(server.base_url, timeout_s=0.5).generate([REQ])
        assert c.error is None and c.texts == ["ok 42"]
        assert len(server.requests) == len(faults) + 1


def test_a_request_that_keeps_failing_is_an_error_not_an_answer() -> None:
    with fault_server(["500"] * 10) as server:
        out = _client(server.base_url, max_retries=2, concurrency=1).generate([REQ, REQ])
        assert len(server.requests) == 6  # 3 attempts each
        for c in out:
            assert c.texts == [""] and c.finish_reasons == ["error"]
            assert "after 3 attempt(s)" in c.error and "HTTP 500" in c.error


def test_client_errors_are_not_retried() -> None:
    with fault_server(["400"]) as server:
        (c,) = _client(server.base_url).generate([REQ])
        assert len(server.requests) == 1 and "HTTP 400" in c.error


def test_unreachable_server_is_an_error() -> None:
    (c,) = _client(f"http://127.0.0.1:{free_port()}/v1", max_retries=1).generate([REQ])
    assert "connection error" in c.error


def test_concurrent_requests_keep_their_order_and_bodies() -> None:
    with fault_server(["429"] * 3) as server:
        prompts = [f"prompt {i}" for i in range(12)]
        out = _client(server.base_url, concurrency=6).generate(
            [GenerationRequest(p, max_new_tokens=3, temperature=0.7, n=2, seed=i) for i, p in enumerate(prompts)])
        assert all(c.error is None and c.texts == ["ok 42", "ok 42"] for c in out)
        assert sorted(b["prompt"] for b in server.requests[3:]) == sorted(prompts)
        first = next(b for b in server.requests if b["prompt"] == "prompt 5")
        assert first == {"model": "fault", "max_tokens": 3, "temperature": 0.7, "top_p": 1.0, "n": 2, "seed": 5,
                         "prompt": "prompt 5"}


def test_chat_messages_go_to_the_chat_endpoint() -> None:
    with fault_server([]) as server:
        (c,) = _client(server.base_url).generate([GenerationRequest(({"role": "user", "content": "hi"},), max_new_tokens=4)])
        assert c.texts == ["ok 42"] and server.requests[0]["messages"] == [{"role": "user", "content": "hi"}]
