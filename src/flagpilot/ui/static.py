"""The UI's static files at `/static`: styles, vendored htmx, the chat widget script.

Files are served from the package's `static` folder, and only from there: a path that leaves
the folder (`..`, absolute, symlinked out) is a 404. They may be cached for an hour and
revalidated by ETag; the folder changes only with a release.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse

STATIC_ROOT = Path(str(files("flagpilot.ui").joinpath("static"))).resolve()
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def static_file(path: str) -> Path:
    """The file under the static folder that `path` names; `HTTPException(404)` for anything else."""
    candidate = (STATIC_ROOT / path).resolve()
    if not candidate.is_relative_to(STATIC_ROOT) or not candidate.is_file():
        raise HTTPException(404, f"no static file {path!r}")
    return candidate


def static_router() -> APIRouter:
    """`GET /static/{path}`."""
    router = APIRouter(tags=["admin UI"], include_in_schema=False)

    @router.get("/static/{path:path}")
    def static(path: str) -> FileResponse:
        found = static_file(path)
        return FileResponse(
            found,
            media_type=MEDIA_TYPES.get(found.suffix),
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    return router
