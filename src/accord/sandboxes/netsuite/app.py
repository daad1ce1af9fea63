"""Wiring of the NetSuite sandbox: REST record service (single and batch), SuiteQL, async jobs,
auth, governance.

Middleware, outermost first: concurrency governance, injected faults, OAuth 1.0a
verification, asynchronous requests; then the routes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.control import SandboxControl, install_controls
from accord.sandboxes.faults import CONTROL_PREFIX
from accord.sandboxes.netsuite import suiteql, wire
from accord.sandboxes.netsuite.batch import check_batch_request, upsert_batch
from accord.sandboxes.netsuite.errors import (
    ErrorCode,
    NetSuiteError,
    error_response,
    invalid,
    render_fault,
)
from accord.sandboxes.netsuite.governance import (
    DEFAULT_CONCURRENCY,
    AsyncRequestMiddleware,
    ConcurrencyMiddleware,
    GovernanceView,
    Governor,
    JobBook,
    job_view,
    root_url,
)
from accord.sandboxes.netsuite.oauth import SignedRequest, TokenCredentials, TokenVerifier
from accord.sandboxes.netsuite.persist import SqliteMirror
from accord.sandboxes.netsuite.records import metadata
from accord.sandboxes.netsuite.records.catalog import SPECS
from accord.sandboxes.netsuite.records.convert import record_href, render_sublist
from accord.sandboxes.netsuite.records.service import (
    RecordService,
    page,
    paging,
    resolve_spec,
)
from accord.sandboxes.netsuite.state import NetSuiteStore

RECORD = "/services/rest/record/v1"
JSON = "application/vnd.oracle.resource+json"
JSON_MEDIA = "application/json"

DEFAULT_CREDENTIALS = TokenCredentials(
    account_id="1234567_SB1",
    consumer_key="accord-sandbox-consumer-key",
    consumer_secret="accord-sandbox-consumer-secret",  # noqa: S106
    token_id="accord-sandbox-token-id",  # noqa: S106
    token_secret="accord-sandbox-token-secret",  # noqa: S106
)


def credentials_from(settings: dict[str, Any]) -> TokenCredentials:
    return TokenCredentials(**{name: str(settings.get(name, getattr(DEFAULT_CREDENTIALS, name)))
                               for name in ("account_id", "consumer_key", "consumer_secret",
                                            "token_id", "token_secret")})


class Account:
    """Everything one emulated account holds; reset and dumped by the control plane."""

    def __init__(self, control: SandboxControl, credentials: TokenCredentials,
                 concurrency: int, window_seconds: int, state_file: Path | None = None) -> None:
        self.control = control
        self.store = NetSuiteStore(control.clock.now,
                                   SqliteMirror(state_file) if state_file else None)
        self.records = RecordService(self.store)
        self.verifier = TokenVerifier(credentials, control.clock.now, window_seconds)
        self.jobs = JobBook()
        self.governor = Governor(
            lambda: control.faults.settings.concurrency_limit or concurrency)

    def reset(self) -> None:
        # the control plane resets the clock after the state; periods are seeded from the
        # clock, so put it back first
        self.control.clock.reset()
        self.store.reset()
        self.verifier.reset()
        self.jobs.reset()
        self.governor.reset()

    def dump(self) -> dict[str, Any]:
        return self.store.dump()


class AuthMiddleware:
    """Reads the whole body, verifies the TBA signature, then replays the body inward."""

    def __init__(self, app: ASGIApp, verifier: TokenVerifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        raw_path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"").decode("latin-1")
        url = f"{root_url(scope)}{raw_path.decode('latin-1')}" + (f"?{query}" if query else "")
        try:
            self.verifier.verify(SignedRequest(scope["method"], url,
                                               headers.get("authorization"),
                                               headers.get("content-type", ""), body))
        except NetSuiteError as error:
            await error_response(error)(scope, receive, send)
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _json(payload: Any, status: int = 200, kind: str = "singular-resource") -> Response:
    return Response(wire.dumps(payload), status_code=status, media_type=f"{JSON}; type={kind}")


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return wire.loads(raw)
    except ValueError:
        raise invalid("The request body is not valid JSON.") from None


def _strict(request: Request) -> bool:
    return request.headers.get("x-netsuite-propertynamevalidation", "").lower() == "error"


def _no_content(location: str | None = None) -> Response:
    headers = {"Location": location} if location else {}
    return Response(status_code=204, headers=headers)


def create_app(options: SandboxOptions) -> FastAPI:
    settings = options.settings
    control = SandboxControl("netsuite")
    account = Account(control, credentials_from(settings),
                      int(settings.get("concurrency_limit", DEFAULT_CONCURRENCY)),
                      int(settings.get("timestamp_window_seconds", 300)), options.state_file)
    app = FastAPI(title="accord NetSuite sandbox (SuiteTalk REST)")
    app.state.account = account

    @app.exception_handler(NetSuiteError)
    async def _netsuite_error(_request: Request, error: NetSuiteError) -> Response:
        return error_response(error)

    def root(request: Request) -> str:
        return root_url(request.scope)

    # -- metadata catalog (before the record routes, which would take its name) ---------
    @app.get(metadata.CATALOG)
    async def metadata_catalog(request: Request) -> Response:
        if metadata.SWAGGER_JSON in request.headers.get("accept", ""):
            chosen = request.query_params.get("select")
            specs = ([resolve_spec(name.strip()) for name in chosen.split(",")] if chosen
                     else list(SPECS))
            return Response(wire.dumps(metadata.openapi(specs, root(request))),
                            media_type=metadata.SWAGGER_JSON)
        return Response(wire.dumps(metadata.index(root(request))), media_type=JSON_MEDIA)

    @app.get(metadata.CATALOG + "/{name}")
    async def metadata_of(name: str, request: Request) -> Response:
        accept = request.headers.get("accept", "")
        if metadata.SCHEMA_JSON in accept:
            schema = metadata.schema_named(name)
            if schema is None:
                raise NetSuiteError(404, ErrorCode.INVALID_PARAMETER,
                                    f"Record type '{name}' does not exist.")
            return Response(wire.dumps(schema), media_type=metadata.SCHEMA_JSON)
        spec = resolve_spec(name)
        if metadata.SWAGGER_JSON in accept:
            return Response(wire.dumps(metadata.openapi([spec], root(request))),
                            media_type=metadata.SWAGGER_JSON)
        return Response(wire.dumps(metadata.entry(root(request), spec)), media_type=JSON_MEDIA)

    # -- records ----------------------------------------------------------------------
    @app.post(RECORD + "/{record_type}")
    async def create(record_type: str, request: Request) -> Response:
        record = account.records.create(record_type, await _body(request),
                                        strict=_strict(request))
        return _no_content(record_href(root(request), record.type, record.id))

    @app.get(RECORD + "/{record_type}")
    async def list_records(record_type: str, request: Request) -> Response:
        limit, offset = paging(request.query_params.get("limit"),
                               request.query_params.get("offset"))
        return _json(account.records.list_page(record_type, root(request), limit, offset,
                                               request.query_params.get("q")),
                     kind="collection")

    @app.put(RECORD + "/{record_type}")
    async def batch_upsert(record_type: str, request: Request) -> Response:
        items = check_batch_request(request.scope, request.headers.get("content-type"),
                                    await _body(request))
        return _json(upsert_batch(account.records, record_type, items, root(request),
                                  strict=_strict(request)), kind="collection")

    @app.get(RECORD + "/{record_type}/{key}")
    async def get_record(record_type: str, key: str, request: Request) -> Response:
        expand = request.query_params.get("expandSubResources", "").lower() == "true"
        return _json(account.records.render(record_type, key, root(request), expand=expand))

    @app.get(RECORD + "/{record_type}/{key}/{sublist}")
    async def get_sublist(record_type: str, key: str, sublist: str, request: Request
                          ) -> Response:
        with account.store.lock:
            spec, record = account.records.get(record_type, key)
            sub = spec.sublist(sublist)
            if sub is None:
                raise NetSuiteError(404, ErrorCode.INVALID_PARAMETER,
                                    f"Sublist '{sublist}' does not exist on {spec.name}.")
            href = f"{record_href(root(request), spec.name, record.id)}/{sub.name}"
            return _json(render_sublist(account.store, sub, record.data.get(sub.name) or [],
                                        href, root(request)))

    @app.patch(RECORD + "/{record_type}/{key}")
    async def update(record_type: str, key: str, request: Request) -> Response:
        record = account.records.update(record_type, key, await _body(request),
                                        strict=_strict(request))
        return _no_content(record_href(root(request), record.type, record.id))

    @app.put(RECORD + "/{record_type}/{key}")
    async def upsert(record_type: str, key: str, request: Request) -> Response:
        saved = account.records.upsert(record_type, key, await _body(request),
                                       strict=_strict(request))
        return _no_content(record_href(root(request), saved.record.type, saved.record.id))

    @app.delete(RECORD + "/{record_type}/{key}")
    async def delete(record_type: str, key: str) -> Response:
        account.records.delete(record_type, key)
        return _no_content()

    # -- SuiteQL ----------------------------------------------------------------------
    @app.post("/services/rest/query/v1/suiteql")
    async def run_suiteql(request: Request) -> Response:
        body = await _body(request)
        query = body.get("q") if isinstance(body, dict) else None
        if not isinstance(query, str):
            raise invalid("The request body must contain the query in 'q'.", "q")
        limit, offset = paging(request.query_params.get("limit"),
                               request.query_params.get("offset"))
        rows = suiteql.run(account.store, query)
        items = [{"links": [], **row} for row in rows[offset:offset + limit]]
        base = f"{root(request)}/services/rest/query/v1/suiteql"
        return _json(page(base, items, total=len(rows), limit=limit, offset=offset),
                     kind="collection")

    # -- asynchronous jobs ------------------------------------------------------------
    def job_or_404(job_id: str) -> Any:
        job = account.jobs.get(job_id)
        if job is None:
            raise NetSuiteError(404, ErrorCode.NONEXISTENT_ID, f"Job {job_id} does not exist.")
        return job

    @app.get("/services/rest/async/v1/job/{job_id}")
    async def get_job(job_id: str, request: Request) -> Response:
        return _json(job_view(job_or_404(job_id), root(request)))

    @app.get("/services/rest/async/v1/job/{job_id}/task")
    async def get_tasks(job_id: str, request: Request) -> Response:
        job = job_or_404(job_id)
        base = f"{root(request)}/services/rest/async/v1/job/{job.id}/task"
        items = [{"links": [{"rel": "self", "href": f"{base}/{job.id}"}], "id": job.id}]
        return _json(page(base, items, total=1, limit=1000, offset=0), kind="collection")

    @app.get("/services/rest/async/v1/job/{job_id}/task/{task_id}/result")
    async def get_result(job_id: str, task_id: str) -> Response:
        job = job_or_404(job_id)
        if task_id != job.id:
            raise NetSuiteError(404, ErrorCode.NONEXISTENT_ID, f"Task {task_id} does not exist.")
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in job.headers
                   if k.lower() in (b"location", b"content-type")}
        return Response(job.body, status_code=job.status, headers=headers)

    # -- sandbox-specific controls ----------------------------------------------------
    @app.get(CONTROL_PREFIX + "/netsuite/governance")
    def governance() -> GovernanceView:
        return account.governor.view()

    @app.post(CONTROL_PREFIX + "/netsuite/governance/reset")
    def governance_reset() -> GovernanceView:
        account.governor.reset()
        return account.governor.view()

    @app.get(CONTROL_PREFIX + "/netsuite/auth")
    def auth_rejections() -> dict[str, int]:
        return dict(account.verifier.rejections)

    app.add_middleware(AsyncRequestMiddleware, jobs=account.jobs)
    app.add_middleware(AuthMiddleware, verifier=account.verifier)
    install_controls(app, control, account, render_fault)
    app.add_middleware(ConcurrencyMiddleware, governor=account.governor)
    return app


__all__ = ["DEFAULT_CREDENTIALS", "Account", "AuthMiddleware", "create_app", "credentials_from"]
