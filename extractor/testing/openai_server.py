"""A scripted OpenAI-compatible server on loopback (``POST /v1/chat/completions``).

Each request is answered by the next responder of the script (then by ``default``). A responder
is a function of the request body returning a :class:`Reply`; helpers build the usual ones::

    with FakeOpenAIServer([error(429, retry_after="1"), answer({"project_name": "x"})]) as server:
        settings = LLMSettings(base_url=server.url, model="fake")
        ...
        server.requests      # every request body received, in order

``answer(obj)`` answers the way the request asks: a forced tool call when the request carries
``tools`` (instructor's TOOLS mode), else the JSON as message content (JSON, JSON_SCHEMA, and
MD_JSON in a fenced block).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable

Responder = Callable[[dict[str, Any]], "Reply"]


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def _tokens(value: Any) -> int:
    return max(1, len(json.dumps(value, ensure_ascii=False)) // 4)


def completion(request: dict[str, Any], *, content: str | None = None, arguments: str | None = None) -> dict[str, Any]:
    """A chat completion body answering ``request`` with text content or a forced tool call."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    finish = "stop"
    if arguments is not None:
        tool = request["tools"][0]["function"]["name"]
        message["tool_calls"] = [{"id": "call_0", "type": "function", "function": {"name": tool, "arguments": arguments}}]
        finish = "tool_calls"
    produced = content if content is not None else arguments
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": request.get("model", "fake"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": _tokens(request.get("messages")), "completion_tokens": _tokens(produced),
                      "total_tokens": _tokens(request.get("messages")) + _tokens(produced)}}


def raw_content(text: str) -> Responder:
    """Answer with exactly this text, as a tool call's arguments in TOOLS mode, else as content."""
    def respond(request: dict[str, Any]) -> Reply:
        if request.get("tools"):
            return Reply(body=completion(request, arguments=text))
        return Reply(body=completion(request, content=text))
    return respond


def answer(obj: Any | Callable[[dict[str, Any]], Any]) -> Responder:
    """Answer with this JSON value (or with what a function of the request returns)."""
    def respond(request: dict[str, Any]) -> Reply:
        value = obj(request) if callable(obj) else obj
        text = json.dumps(value, ensure_ascii=False)
        if request.get("tools"):
            return Reply(body=completion(request, arguments=text))
        if _wants_markdown(request):
            text = f"```json\n{text}\n```"
        return Reply(body=completion(request, content=text))
    return respond


def _wants_markdown(request: dict[str, Any]) -> bool:
    return "response_format" not in request


def error(status: int, message: str = "scripted error", *, retry_after: str | None = None) -> Responder:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    body = {"error": {"message": message, "type": "server_error" if status >= 500 else "invalid_request_error"}}
    return lambda request: Reply(status=status, body=body, headers=headers)


def slow(seconds: float, then: Responder) -> Responder:
    def respond(request: dict[str, Any]) -> Reply:
        reply = then(request)
        reply.delay_s = seconds
        return reply
    return respond


_FENCED = re.compile(r"```\n(.*?)\n```", re.S)


def form_text_of(request: dict[str, Any]) -> str:
    """The OCR text of the form a formex request asks about (the last fenced block it sends)."""
    user = [m["content"] for m in request["messages"] if m["role"] == "user"]
    blocks = _FENCED.findall(user[0]) if user else []
    return blocks[-1] if blocks else ""


def parser_model(transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> Responder:
    """A stand-in model that answers with formex's own parser reading of the form it is sent.

    It exercises the whole model path (prompting, parsing, validation, cache, merge) with
    realistic answers; ``transform`` edits the answer, e.g. to plant a fabricated value.
    It measures plumbing, never a model's quality.
    """
    from extractor.backends.rules import RulesBackend
    from extractor.layout import split_lines
    from extractor.segment import split_forms

    def read(request: dict[str, Any]) -> Any:
        text = form_text_of(request)
        blocks = split_forms(split_lines(text))
        if not blocks:
            return {}
        data = RulesBackend().read(blocks[0], text).form.model_dump(mode="json")
        return transform(data) if transform else data
    return answer(read)


class FakeOpenAIServer:
    """Serve a script of responders on ``127.0.0.1`` in a background thread."""

    def __init__(self, script: Iterable[Responder] = (), default: Responder | None = None) -> None:
        self.script = list(script)
        self.default = default
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> "FakeOpenAIServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(request)
            responder = self.script.pop(0) if self.script else self.default
        if responder is None:
            return Reply(status=500, body={"error": {"message": "fake server: script exhausted"}})
        return responder(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._send(Reply(body={"object": "list", "data": [{"id": "fake", "object": "model", "owned_by": "formex"}]}))
                else:
                    self._send(Reply(status=404, body={"error": {"message": "not found"}}))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    request = json.loads(self.rfile.read(length) or b"{}")
                except json.JSONDecodeError:
                    self._send(Reply(status=400, body={"error": {"message": "body is not JSON"}}))
                    return
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(Reply(status=404, body={"error": {"message": f"no route {self.path}"}}))
                    return
                self._send(server._next(request))

            def _send(self, reply: Reply) -> None:
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                data = (reply.body if isinstance(reply.body, str) else json.dumps(reply.body, ensure_ascii=False)).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler
