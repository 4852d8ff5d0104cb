"""The back office's routes, mounted together: search, dispatch, staff accounts and exports."""

from __future__ import annotations

from fastapi import FastAPI

from pingan.api.routes import dispatch, exports, search, users


def register(app: FastAPI) -> None:
    for router in (search.router, dispatch.router, users.router, exports.router):
        app.include_router(router, prefix="/api/v1")
