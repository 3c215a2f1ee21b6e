"""The HTTP service: a thin FastAPI layer over :func:`extractor.pipeline.extract_bytes`.

    POST /v1/extractions          a file upload (multipart ``file``) or JSON ``{"text": ...}``;
                                  small text inputs are answered at once (200), others get a job (202)
    GET  /v1/jobs/{id}            a job's status
    GET  /v1/jobs/{id}/result     its result, latest version (409 while it runs; ``?version=n`` for one)
    PATCH /v1/jobs/{id}/result    a reviewer's correction (JSON Patch or field edits) → a new version
    GET  /v1/jobs/{id}/trail      every correction: field, value before and after, who, when
    GET  /v1/review               the review queue (``?severity=``, ``?code=``); ``/review`` as a page
    GET  /v1/schema               the hand-off JSON Schema
    GET  /healthz                 liveness: 503 when a job worker is dead or stuck (no key needed)
    GET  /readyz                  readiness: queue depth and the oldest queued job's age; 503 when
                                  the job store cannot be read (no key needed)
    GET  /review/{id}             the review page of a finished job (``?key=`` for browsers)
    GET  /review/{id}/pages/{n}.png   page ``n`` of a PDF or image job, for the review page

Every error is an RFC 7807 problem document (``application/problem+json``). API keys are bearer
tokens from the settings (``name:secret``: the name is who the review trail records); a request
without one, or with a wrong one, gets 401.
"""

from __future__ import annotations

import hmac
import json
from contextlib import asynccontextmanager
from itertools import islice
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from extractor import __version__
from extractor.corrections import apply_changes, parse_changes
from extractor.errors import (
    BudgetExhausted,
    ConfigError,
    FormexError,
    InputError,
    InputTooLarge,
    InternalError,
    ModelError,
    StorageUnavailable,
    error_classes,
)
from extractor.ingest import sniff
from extractor.review import queue_entries, render_queue, render_review
from extractor.review.images import page_count, page_png
from extractor.service.jobs import JobStore
from extractor.service.worker import JobWorkers, SyncAnswers
from extractor.settings import BACKENDS, Settings

PROBLEM = "application/problem+json"


class Problem(Exception):
    """An HTTP error as an RFC 7807 problem document."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra


def problem_response(status: int, code: str, detail: str, instance: str, **extra: Any) -> JSONResponse:
    body = {"type": f"https://formex.dev/problems/{code}", "title": code.replace("_", " "), "status": status,
            "detail": detail, "instance": instance, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def status_of(kind: type[FormexError]) -> int:
    """The HTTP status of an error class of :mod:`extractor.errors`."""
    for base, status in ((InputTooLarge, 413), (InputError, 422), (BudgetExhausted, 429), (ConfigError, 400),
                         (ModelError, 502), (InternalError, 500)):
        if issubclass(kind, base):
            return status
    return 503


# A failed job stores its error's code; its result answers with that error's status (500 for the
# service's own faults: a job over its time limit, a crashed worker, a bug).
STATUS_BY_CODE = {kind.code: status_of(kind) for kind in error_classes()}


def create_app(settings: Settings) -> FastAPI:
    service = settings.service
    if not service.api_keys and not service.allow_anonymous:
        raise ConfigError("no API keys configured: set FORMEX_API_KEYS (or [service] api_keys), "
                          "or allow_anonymous for local use")
    store = JobStore(service.job_db)
    workers = JobWorkers(store, settings)
    answers = SyncAnswers()

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        workers.start()
        answers.warm()
        yield
        workers.stop()
        answers.close()
        store.close()

    app = FastAPI(title="formex", version=__version__, lifespan=lifespan,
                  description="Validated JSON from fiscal project performance forms (自评表 / 申报表).")
    app.state.store = store

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.code, exc.detail, request.url.path, **exc.extra)

    @app.exception_handler(FormexError)
    async def _formex(request: Request, exc: FormexError) -> JSONResponse:
        return problem_response(status_of(type(exc)), exc.code, exc.message, request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(exc.status_code, "not_found" if exc.status_code == 404 else "http_error",
                                str(exc.detail), request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(422, "invalid_request", "; ".join(e["msg"] for e in exc.errors()), request.url.path)

    keys = service.named_keys()

    def authorize(request: Request, allow_query_key: bool = False) -> str:
        """The name of the request's API key (``anonymous`` when the service has none); 401 otherwise."""
        if not keys:
            return "anonymous"
        header = request.headers.get("authorization", "")
        given = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if not given and allow_query_key:
            given = request.query_params.get("key", "")
        names = [name for name, key in keys if hmac.compare_digest(given.encode(), key.encode())] if given else []
        if not names:
            raise Problem(401, "unauthorized", "a valid API key is required: Authorization: Bearer <key>")
        return names[0]

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        healthy, report = workers.health()
        body: dict[str, Any] = {"status": "ok" if healthy else "unhealthy", "version": __version__, "workers": report}
        try:
            body["jobs"] = store.counts()
        except StorageUnavailable as exc:
            body["store_error"] = exc.message
        return JSONResponse(body, status_code=200 if healthy else 503)

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        healthy, _ = workers.health()
        try:
            depth, oldest = store.queue()
        except StorageUnavailable as exc:
            return JSONResponse({"status": "unavailable", "store_error": exc.message}, status_code=503)
        body = {"status": "ready" if healthy else "unavailable", "queue_depth": depth,
                "oldest_queued_age_s": round(oldest, 1) if oldest is not None else None}
        return JSONResponse(body, status_code=200 if healthy else 503)

    @app.get("/v1/schema")
    def schema(request: Request) -> dict[str, Any]:
        from schemas.forms import form_json_schema

        authorize(request)
        return form_json_schema()

    @app.post("/v1/extractions", status_code=200,
              responses={202: {"description": "accepted as a job"}, 401: {}, 413: {}, 422: {}})
    async def create_extraction(request: Request) -> JSONResponse:
        """Upload a file (multipart field ``file``) or post JSON ``{"text", "source"?, "backend"?}``.
        ``?mode=sync|async`` forces one way; by default small text inputs are answered at once."""
        authorize(request)
        data, source, backend = await _read_input(request, service.max_upload_bytes)
        if backend not in BACKENDS:
            raise Problem(422, "invalid_request", f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        if backend != "rules":
            try:
                settings.llm.key_or_error()          # refused now, as the CLI does, not failed later
            except ConfigError as exc:
                raise Problem(422, "missing_api_key", exc.message) from exc
        mode = request.query_params.get("mode", "auto")
        small = len(data) <= service.sync_max_bytes and sniff(data) in ("text", "html") and backend == "rules"
        if mode == "sync" or (mode == "auto" and small):
            body, text = await answers.answer(data, source, settings.with_(backend=backend), workers.backend_for)
            job_id = await run_in_threadpool(store.record_done, source=source, backend=backend, result=body, text=text)
            return Response(body, media_type="application/json",
                            headers={"Location": f"/v1/jobs/{job_id}", "X-Formex-Job": job_id})
        job = store.create(data, source=source, backend=backend)
        workers.wake()
        return JSONResponse({**job.as_dict(), "links": _links(job.id)}, status_code=202,
                            headers={"Location": f"/v1/jobs/{job.id}"})

    @app.get("/v1/jobs/{job_id}")
    def get_job(job_id: str, request: Request) -> dict[str, Any]:
        authorize(request)
        return {**_job_or_404(store, job_id).as_dict(), "links": _links(job_id)}

    @app.get("/v1/jobs/{job_id}/result")
    def get_result(job_id: str, request: Request) -> JSONResponse:
        authorize(request)
        job = _job_or_404(store, job_id)
        if job.status == "failed":
            error = job.error or {}
            raise Problem(STATUS_BY_CODE.get(error.get("code", ""), 500), error.get("code", "job_failed"),
                          error.get("message", "the job failed"))
        if job.status != "done":
            raise Problem(409, "not_ready", f"the job is {job.status}; poll /v1/jobs/{job_id}")
        version = request.query_params.get("version")
        if version is not None and not version.isdigit():
            raise Problem(422, "invalid_request", "version must be a whole number")
        result = store.result(job_id, None if version is None else int(version))
        if result is None:
            raise Problem(404, "not_found", f"job {job_id} has no result version {version}")
        return JSONResponse(result)

    @app.patch("/v1/jobs/{job_id}/result", responses={401: {}, 404: {}, 409: {}, 422: {}}, openapi_extra={
        "requestBody": {"required": True, "content": {
            "application/json-patch+json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "application/json": {"schema": {"type": "object", "properties": {"edits": {"type": "array"}}}}}}})
    async def correct_result(job_id: str, request: Request) -> JSONResponse:
        """A reviewer's correction: an RFC 6902 JSON Patch (``[{"op": "replace", "path": "/forms/0/total_score",
        "value": 94.55}]``; ``test`` confirms a value) or field edits (``{"edits": [{"form": 0, "path":
        "total_score", "value": 94.55}, {"form": 0, "path": "grade", "confirm": true}]}``). The result is
        revalidated at once and stored as a new version; the answer is that version."""
        reviewer = authorize(request)
        job = _job_or_404(store, job_id)
        if job.status != "done":
            raise Problem(409, "not_ready", f"the job is {job.status}; only a finished result is corrected")
        try:
            body = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise Problem(400, "invalid_json", f"the body is not JSON: {exc}") from exc
        changes = parse_changes(body)
        text = store.text(job_id) or ""
        version, result = await run_in_threadpool(
            store.correct, job_id, lambda latest, number: apply_changes(latest, text, changes, reviewer=reviewer,
                                                                          version=number))
        return JSONResponse(result, headers={"X-Formex-Result-Version": str(version)})

    @app.get("/v1/jobs/{job_id}/trail")
    def get_trail(job_id: str, request: Request) -> dict[str, Any]:
        authorize(request)
        _job_or_404(store, job_id)
        return {"job": job_id, "trail": store.trail(job_id)}

    def _queue(request: Request) -> list[dict[str, Any]]:
        """The oldest ``?limit=`` (500) entries: results are read one by one only until then."""
        severity, code = request.query_params.get("severity") or None, request.query_params.get("code") or None
        limit = request.query_params.get("limit", "500")
        if not limit.isdigit() or int(limit) < 1:
            raise Problem(422, "invalid_request", "limit must be a positive whole number")
        return list(islice(queue_entries(store.done_results(), severity=severity, code=code), int(limit)))

    @app.get("/v1/review")
    def review_queue(request: Request) -> dict[str, Any]:
        """Forms needing review, oldest first (``?severity=error|warning|info``, ``?code=...``, ``?limit=``)."""
        authorize(request)
        return {"queue": _queue(request)}

    @app.get("/review", response_class=HTMLResponse)
    def review_queue_page(request: Request) -> HTMLResponse:
        authorize(request, allow_query_key=True)
        params = request.query_params
        return HTMLResponse(render_queue(_queue(request), key=params.get("key", ""),
                                         severity=params.get("severity", ""), code=params.get("code", "")))

    @app.get("/review/{job_id}", response_class=HTMLResponse)
    def review(job_id: str, request: Request) -> HTMLResponse:
        authorize(request, allow_query_key=True)
        job = _job_or_404(store, job_id)
        if job.status != "done":
            raise Problem(409, "not_ready", f"the job is {job.status}")
        boxes, data = store.boxes(job_id), store.page_source(job_id)
        query = f"?key={quote(request.query_params['key'])}" if request.query_params.get("key") else ""
        images = [f"/review/{job_id}/pages/{n}.png{query}" for n in range(1, page_count(data) + 1)] if boxes and data else []
        return HTMLResponse(render_review(store.result(job_id) or {}, store.text(job_id) or "", boxes=boxes,
                                          page_images=images, trail=store.trail(job_id),
                                          save_url=f"/v1/jobs/{job_id}/result"))

    @app.get("/review/{job_id}/pages/{number}.png")
    def review_page_image(job_id: str, number: int, request: Request) -> Response:
        authorize(request, allow_query_key=True)
        _job_or_404(store, job_id)
        data = store.page_source(job_id)
        if data is None or not 1 <= number <= page_count(data):
            raise Problem(404, "not_found", f"job {job_id} has no page {number}")
        return Response(page_png(data, number), media_type="image/png",
                        headers={"Cache-Control": "private, max-age=3600"})

    return app


def _links(job_id: str) -> dict[str, str]:
    return {"self": f"/v1/jobs/{job_id}", "result": f"/v1/jobs/{job_id}/result", "review": f"/review/{job_id}"}


def _job_or_404(store: JobStore, job_id: str):  # type: ignore[no-untyped-def]
    job = store.get(job_id)
    if job is None:
        raise Problem(404, "not_found", f"no job {job_id}")
    return job


async def _read_input(request: Request, limit: int) -> tuple[bytes, str, str]:
    """(bytes, source name, backend) from a multipart upload or a JSON body, within the size limit."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise Problem(413, "input_too_large", f"the upload is {declared} bytes, over the limit of {limit}")
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Problem(422, "invalid_request", "multipart upload needs a file field named 'file'")
        data = await upload.read(limit + 1)
        source, backend = upload.filename or "upload", str(form.get("backend") or "rules")
    elif content_type.startswith("application/json"):
        try:
            body = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise Problem(400, "invalid_json", f"the body is not JSON: {exc}") from exc
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            raise Problem(422, "invalid_request", 'a JSON body needs {"text": "..."}')
        data = body["text"].encode("utf-8")
        source, backend = str(body.get("source") or "text"), str(body.get("backend") or "rules")
    else:
        raise Problem(415, "unsupported_media_type", "send multipart/form-data with a file, or application/json")
    if len(data) > limit:
        raise Problem(413, "input_too_large", f"over the upload limit of {limit} bytes")
    return data, source, request.query_params.get("backend", backend)
