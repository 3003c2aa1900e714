"""An optional API key for the HTTP app: every route but ``/healthz`` needs it.

Programs send it as ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``; without it (or with a wrong one) they get
401 with a JSON ``detail``. A browser cannot add a header to a page it opens, so a browser asking for a page
(``GET`` accepting ``text/html``) gets the 401 as a small form instead: the key typed there is checked by
``POST /login``, which sets an HttpOnly, SameSite=Strict cookie holding a token derived from the key (not the key
itself) and sends the browser back to the page. The demo page, ``/docs`` and the API calls they make then carry
the cookie. Keys are compared in constant time (``hmac.compare_digest``).

Pure ASGI, like :mod:`specialize.serve.middleware`: a request without the key is answered before its body is read.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import ipaddress
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from specialize.errors import ConfigError
from specialize.serve.middleware import ASGIApp, Receive, Scope, Send, no_receive

KEY_ENV = "SPECIALIZE_API_KEY"
OPEN_PATHS = frozenset({"/healthz"})
LOGIN_PATH = "/login"
COOKIE = "specialize_session"
MAX_LOGIN_BYTES = 16 * 1024

LOGIN_FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>specialize: API key</title>
<style>body {{ font: 15px/1.5 system-ui, sans-serif; max-width: 30em; margin: 4em auto; padding: 0 1em; }}
input {{ font: inherit; padding: .3em; width: 100%; box-sizing: border-box; }}
button {{ font: inherit; margin-top: .6em; }}
.error {{ color: #b00020; }}</style></head>
<body><h1>specialize</h1><p>This server needs its API key.</p>{message}
<form method="post" action="{login}"><label>API key <input id="key" type="password" name="key" autofocus></label>
<input type="hidden" name="next" value="{next}"><button id="enter">Enter</button></form></body></html>
"""


def is_loopback(host: str) -> bool:
    """True when ``host`` is only reachable from this machine (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _local_path(target: str) -> str:
    """``target`` if it is a path on this server, else ``/``: the login form must not redirect elsewhere."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def check_key(key: str) -> None:
    if not key or not key.strip():
        raise ConfigError(f"the API key is empty; give a non-empty --api-key (or ${KEY_ENV}), or none at all")
    if key != key.strip():
        raise ConfigError("the API key starts or ends with whitespace; HTTP headers cannot carry that reliably")


class ApiKey:
    """Refuse requests without ``key`` (see the module docstring); ``/healthz`` stays open for probes."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        check_key(key)
        self.app = app
        self.key = key.encode("utf-8")
        # The cookie holds a token derived from the key, so a browser never stores the key itself.
        self.token = hmac.new(self.key, b"specialize browser session", hashlib.sha256).hexdigest().encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        if scope["path"] == LOGIN_PATH and scope["method"] == "POST":
            await self._login(scope, receive, send)
            return
        if self._authorized(scope):
            await self.app(scope, receive, send)
            return
        response: Response
        if scope["method"] == "GET" and b"text/html" in (_header(scope, b"accept") or b""):
            response = self._form(scope["path"], scope.get("query_string", b""), "")
        else:
            detail = (
                "this server needs an API key: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'"
                if not self._presented(scope)
                else "wrong API key"
            )
            response = JSONResponse({"detail": detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        await response(scope, no_receive, send)

    def _matches(self, value: bytes, expected: bytes) -> bool:
        return hmac.compare_digest(value.strip(), expected)

    def _presented(self, scope: Scope) -> bool:
        return _header(scope, b"authorization") is not None or _header(scope, b"x-api-key") is not None

    def _authorized(self, scope: Scope) -> bool:
        authorization = _header(scope, b"authorization")
        if authorization is not None:
            scheme, _, value = authorization.strip().partition(b" ")
            if scheme.lower() == b"bearer" and self._matches(value, self.key):
                return True
        api_key = _header(scope, b"x-api-key")
        if api_key is not None and self._matches(api_key, self.key):
            return True
        cookies = _header(scope, b"cookie")
        if cookies is not None:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(cookies.decode("latin-1"))
            except Exception:  # a malformed Cookie header is the client's problem: treat it as no cookie
                return False
            morsel = jar.get(COOKIE)
            if morsel is not None and self._matches(morsel.value.encode("latin-1"), self.token):
                return True
        return False

    def _form(self, path: str, query: bytes, message: str) -> HTMLResponse:
        target = path + ("?" + query.decode("latin-1") if query else "")
        page = LOGIN_FORM.format(message=message, login=LOGIN_PATH, next=html.escape(_local_path(target), quote=True))
        return HTMLResponse(page, status_code=401, headers={"WWW-Authenticate": "Bearer"})

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            event = await receive()
            if event["type"] == "http.disconnect":
                return
            body += event.get("body", b"")
            if len(body) > MAX_LOGIN_BYTES:
                await JSONResponse({"detail": "login form too large"}, status_code=413)(scope, no_receive, send)
                return
            if not event.get("more_body"):
                break
        form = parse_qs(body.decode("utf-8", errors="replace"))
        key = form.get("key", [""])[0].encode("utf-8")
        target = _local_path(form.get("next", ["/"])[0])
        response: Response
        if key and self._matches(key, self.key):
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(COOKIE, self.token.decode("ascii"), httponly=True, samesite="strict", path="/")
        else:
            path, _, query = target.partition("?")
            response = self._form(path, query.encode("latin-1"), '<p class="error">Wrong API key.</p>')
        await response(scope, no_receive, send)
