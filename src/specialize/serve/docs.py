"""``/docs``: Swagger UI from a packaged copy, so the API docs render on a machine without internet access.

FastAPI's own ``/docs`` page loads Swagger UI's script and stylesheet from a CDN and is blank offline. The
files of npm's ``swagger-ui-dist`` (version in ``static/swagger-ui/README.md``, Apache-2.0: its LICENSE and
NOTICE lie beside them) ship inside the package and are served from ``/docs/assets/``. The validator badge,
which would call an online validator, is switched off. ReDoc (``/redoc``) is not offered: it too loads from a
CDN, and one offline docs page is enough.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

ASSETS = Path(__file__).resolve().parent / "static" / "swagger-ui"
ASSET_PATH = "/docs/assets"
# What the page needs, with its media type; nothing else in the folder is served.
FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


def add_docs(app: FastAPI, title: str) -> None:
    """Serve Swagger UI at ``/docs`` for ``app`` (created with ``docs_url=None, redoc_url=None``)."""
    missing = [name for name in FILES if not (ASSETS / name).is_file()]
    if missing:  # a broken install; say so at startup rather than serve a blank page
        raise FileNotFoundError(f"the packaged Swagger UI files {missing} are missing from {ASSETS}; reinstall")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{title} - API docs",
            swagger_js_url=f"{ASSET_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSET_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSET_PATH}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(ASSET_PATH + "/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        if name not in FILES:
            raise HTTPException(404, f"no such file: {name}")
        # The files change only with the package version: let browsers keep them for a day.
        headers = {"Cache-Control": "public, max-age=86400"}
        return FileResponse(ASSETS / name, media_type=FILES[name], headers=headers)
