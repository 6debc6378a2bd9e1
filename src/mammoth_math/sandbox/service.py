"""The sandbox as an HTTP service (``mammoth-math sandbox serve``): one host's ``Sandbox`` behind starlette + uvicorn.

Endpoints: ``POST /v1/run`` (a batch of programs; results in order, each an ``ExecResult`` as JSON),
``POST /v1/sessions``, ``POST /v1/sessions/{id}/run``, ``DELETE /v1/sessions/{id}`` (a session lives on
this host only), ``POST /run_code`` (SandboxFusion's shape, see ``fusion``), ``GET /health`` and
``GET /metrics`` (Prometheus text). ``remote.RemoteSandbox`` is the client.

Every request is bounded before it costs anything (see ``_host``): a bearer token (required off loopback),
a body size cap checked on the declared length and again while bytes arrive, a deadline on reading the body
(a slow sender gets 408 and holds no thread meanwhile), caps on timeout and memory, and a bounded queue of
admitted programs (429 with ``Retry-After`` past it). On SIGTERM the host stops accepting connections,
answers new requests on open ones with 503 "draining", and finishes every admitted program before it exits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from mammoth_math.sandbox import fusion
from mammoth_math.sandbox._host import TOKEN_ENV, Refused, Service, ServiceConfig, json_response, result_json

log = logging.getLogger(__name__)

__all__ = ["TOKEN_ENV", "Service", "ServiceConfig", "build_app", "serve"]

Endpoint = Callable[[Service, Request], Awaitable[Response]]


def _guarded(endpoint: Endpoint, service: Service, *, token: bool = True) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint behind the token check, with every refusal answered as JSON and counted."""

    async def handle(request: Request) -> Response:
        try:
            if token:
                service.check_token(request)
            return await endpoint(service, request)
        except Refused as e:
            service.metrics.refuse(e.reason)
            return json_response({"error": str(e)}, e.status, e.headers)

    return handle


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Refused(400, "bad_request", "the body must be a JSON object")
    return body


async def _run(service: Service, request: Request) -> Response:
    service.refuse_if_full()
    body = _object(await service.body(request))
    programs = body.get("programs")
    if not isinstance(programs, list) or not programs or not all(isinstance(p, str) for p in programs):
        raise Refused(400, "bad_request", "field 'programs' must be a non-empty list of strings")
    timeout, memory = service.limits(body)
    service.admit(len(programs))
    results = await service.run(programs, timeout, memory)
    return json_response({"results": [result_json(r) for r in results]})


async def _open_session(service: Service, request: Request) -> Response:
    service.refuse_if_draining()
    timeout, memory = service.limits(_object(await service.body(request)))
    return json_response({"session": await service.open_session(timeout, memory)}, 201)


async def _session_run(service: Service, request: Request) -> Response:
    service.refuse_if_draining()
    body = _object(await service.body(request))
    code = body.get("code")
    if not isinstance(code, str):
        raise Refused(400, "bad_request", "field 'code' must be a string")
    timeout, _ = service.limits(body)
    result, alive = await service.run_in_session(request.path_params["sid"], code, timeout)
    return json_response({"result": result_json(result), "alive": alive})


async def _close_session(service: Service, request: Request) -> Response:
    return json_response({"closed": await service.close_session(request.path_params["sid"])})


async def _run_code(service: Service, request: Request) -> Response:
    service.refuse_if_full()
    try:
        asked = fusion.parse_request(await service.body(request))
    except fusion.FusionRefusal as e:
        return json_response(fusion.refusal(str(e), service.pod))
    except ValueError as e:
        raise Refused(400, "bad_request", str(e)) from None
    body = {"timeout": service.config.timeout if asked.timeout is None else asked.timeout,
            "memory_mb": service.config.memory_mb if asked.memory_mb is None else asked.memory_mb}
    try:
        timeout, memory = service.limits(body)
    except Refused as e:
        return json_response(fusion.refusal(str(e), service.pod))
    service.admit(1)
    [result] = await service.run([asked.code], timeout, memory)
    return json_response(fusion.response(result, service.pod))


async def _health(service: Service, request: Request) -> Response:
    health = service.health()
    return json_response(health, 503 if service.draining else 200)


async def _metrics(service: Service, request: Request) -> Response:
    return PlainTextResponse(service.metrics_text(), media_type="text/plain; version=0.0.4")


def build_app(service: Service) -> Starlette:
    """The ASGI app over ``service``; its lifespan starts the sandbox's workers (if not yet) and closes them at
    the end."""

    @asynccontextmanager
    async def lifespan(app: Starlette):  # type: ignore[no-untyped-def]
        await asyncio.get_running_loop().run_in_executor(None, service.sandbox.start)
        reaper = asyncio.create_task(service.reap_idle_sessions())
        try:
            yield
        finally:
            reaper.cancel()
            await asyncio.get_running_loop().run_in_executor(None, service.close)

    def route(path: str, endpoint: Endpoint, method: str, token: bool = True) -> Route:
        return Route(path, _guarded(endpoint, service, token=token), methods=[method])

    return Starlette(routes=[
        route("/v1/run", _run, "POST"),
        route("/v1/sessions", _open_session, "POST"),
        route("/v1/sessions/{sid}/run", _session_run, "POST"),
        route("/v1/sessions/{sid}", _close_session, "DELETE"),
        route("/run_code", _run_code, "POST"),
        route("/health", _health, "GET", token=False),  # load balancers probe without credentials
        route("/metrics", _metrics, "GET"),
    ], lifespan=lifespan)


def serve(config: ServiceConfig) -> None:
    """Serve until SIGINT/SIGTERM; then drain (see the module docstring) and return."""
    import uvicorn

    service = Service(config)
    service.sandbox.start()  # raises SandboxError (no bubblewrap, say) before anything listens

    class _Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            service.draining = True  # before uvicorn stops: requests still arriving get 503, not silence
            super().handle_exit(sig, frame)

    server = _Server(uvicorn.Config(
        build_app(service), host=config.host, port=config.port, log_level="warning", access_log=False,
        lifespan="on", timeout_graceful_shutdown=config.max_timeout * 2 + 60,  # every admitted program finishes
        limit_concurrency=max(256, 4 * service.capacity)))  # connections beyond this get 503 from uvicorn
    log.info("sandbox service on http://%s:%d (%d workers, %d programs admitted at most)",
             config.host, config.port, service.sandbox.workers, service.capacity)
    server.run()
    if not server.started:
        raise RuntimeError(f"the sandbox service could not start on {config.host}:{config.port}")
