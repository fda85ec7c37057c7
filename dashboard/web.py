"""What the web server does besides Streamlit's pages: hand a browser its sign-in cookie, and serve a
download only to the browser that asked for it (used by dashboard/asgi.py)."""

from __future__ import annotations

import threading
from enum import Enum
from urllib.parse import urlsplit

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from streamlit import runtime
from streamlit.runtime.media_file_storage import MediaFileKind

from dashboard.downloads import owned as owned_downloads
from dashboard.signin.cookie import COOKIE, idle_limit
from data_model.access import sign_ins
from data_model.db import make_engine, resolve_url, run_write

_engine_lock = threading.Lock()
_engines: dict[str, Engine] = {}


def server_engine() -> Engine:
    """The web server's own engine (outside any script run, so not Streamlit's cached one)."""
    url = resolve_url()
    with _engine_lock:
        if url not in _engines:
            _engines[url] = make_engine(url)
        return _engines[url]


def local_address(requested: str | None) -> str:
    """Where to send the browser after the hand-off: a path of this site, never another site."""
    if not requested or "\\" in requested or any(ord(c) < 32 for c in requested):
        return "/"
    parts = urlsplit(requested)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "") == "https"


async def hand_off(request: Request) -> Response:
    """GET /_paintrail/sign-in?code=...&next=/page?query: trade the one-time code the page was given at
    sign-in for the sign-in token, set it as an HttpOnly cookie, and go back to the page."""
    response = RedirectResponse(local_address(request.query_params.get("next")), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    # Only the app's own page sends the browser here: a link on another site must not sign this
    # browser in to someone else's account.
    if request.headers.get("sec-fetch-site", "same-origin") != "same-origin":
        return response
    code, previous = request.query_params.get("code", ""), request.cookies.get(COOKIE)
    token = await run_in_threadpool(
        lambda: run_write(server_engine(), lambda s: sign_ins.claim(s, code, idle_limit(), previous))
    )
    if token:
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=_secure(request), path="/")
    return response


class Verdict(Enum):
    REFUSE = "refuse"
    CHECK = "check"  # the page's own check that the address answers: yes, without the file
    SERVE = "serve"


def judge_media_request(file, token: str | None, method: str, fetch_mode: str | None) -> Verdict:
    """Whether Streamlit may serve this /media/ file to this request (file: Streamlit's MemoryFile or None)."""
    if file is None or not token:
        return Verdict.REFUSE
    check = sign_ins.check(server_engine(), token, idle_limit(), touch=False)
    if check.user is None or check.tablet is not None:  # a tablet held by a patient gets no file of the app
        return Verdict.REFUSE
    if file.kind != MediaFileKind.DOWNLOADABLE:
        return Verdict.SERVE
    # Streamlit's download button first fetch()es the address to see that it answers, then follows
    # it: the first is answered without the file, and the second uses up its one fetch.
    checking = fetch_mode in ("cors", "same-origin", "no-cors")
    take = method == "GET" and not checking
    if not owned_downloads.release(file.content, token, take=take):
        return Verdict.REFUSE
    return Verdict.CHECK if checking else Verdict.SERVE


class DownloadGuard:
    """ASGI middleware in front of Streamlit's /media/ address (see judge_media_request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/media/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        file_id = scope["path"].removeprefix("/media/").split(".")[0]
        verdict = await run_in_threadpool(
            lambda: judge_media_request(
                _media_file(file_id),
                request.cookies.get(COOKIE),
                scope["method"],
                request.headers.get("sec-fetch-mode"),
            )
        )
        if verdict is Verdict.SERVE:
            await self.app(scope, receive, send)
            return
        if verdict is Verdict.CHECK:
            response: Response = Response(status_code=200, headers={"Cache-Control": "no-store"})
        else:
            response = PlainTextResponse("Not found", status_code=404, headers={"Cache-Control": "no-store"})
        await response(scope, receive, send)


def _media_file(file_id: str):
    if not runtime.exists():
        return None
    return runtime.get_instance().media_file_mgr.read_file(file_id)
