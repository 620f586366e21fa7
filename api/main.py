"""The FastAPI application: ``create_app(settings)`` builds one; nothing happens at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from anyio import to_thread
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from api.deps import storable_parameters
from api.errors import install_error_handlers
from api.limits import BodyLimit
from api.mapdata import configured_base_maps
from api.routers import (
    analysis,
    analysis_pages,
    docs,
    facilities,
    imports,
    jobs,
    list_exports,
    map_pages,
    martyrs,
    ogc,
    pages,
    registry_forms,
    system,
)
from api.security import SecurityHeaders, tile_origins
from api.signin import install as install_sign_in
from api.static import vendor_mounts
from evidence.store import store_for
from memorials import clock, domains
from memorials.bootstrap import prepare_database
from memorials.db import create_db_engine, route_read_factory, session_factory
from memorials.job_worker import JobWorker
from memorials.settings import Settings

STATIC_DIR = Path(__file__).parent / "static"
UNCOMPRESSED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/pdf",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.google-earth.kmz", "application/geopackage+sqlite3")
"""Already compressed (photos, zip-based office files, KMZ): sent as they are."""


def _tile_urls(settings: Settings) -> list[str]:
    try:
        sources = configured_base_maps(settings)
    except ValueError:
        return []
    return [url for source in sources for url in (source.url, *source.overlays) if url]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    clock.configure(settings.time_zone)
    engine = create_db_engine(settings.resolved_database_url(), threads=settings.worker_threads,
                              max_connections=settings.db_max_connections)
    kinds = domains.job_kinds()
    worker = JobWorker(engine=engine, settings=settings, kinds=kinds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Sync routes and dependencies run in these threads; the pool matches them.
        to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        prepare_database(engine)
        worker.start()
        yield
        await to_thread.run_sync(worker.stop)
        engine.dispose()

    app = FastAPI(
        title="烈士纪念设施管理系统 Memorial registry",
        version="0.1.0",
        description="Registry of martyr memorial facilities: facilities, martyrs, burials, patrols, maps.",
        lifespan=lifespan,
        dependencies=[Depends(storable_parameters)],
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.read_sessions = route_read_factory(engine)
    app.state.write_sessions = session_factory(engine, write=True)
    app.state.evidence_store = store_for(settings)
    app.state.job_kinds = kinds
    app.state.job_worker = worker
    install_sign_in(app, settings)
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6, exclude_content_types=UNCOMPRESSED)
    app.add_middleware(SecurityHeaders, image_sources=tile_origins(_tile_urls(settings)))

    install_error_handlers(app)
    app.include_router(system.router)
    app.include_router(docs.router)
    app.include_router(facilities.router)
    app.include_router(martyrs.router)
    app.include_router(imports.router)
    app.include_router(jobs.router)
    app.include_router(analysis.router)
    app.include_router(ogc.router)
    app.include_router(analysis_pages.router)
    app.include_router(list_exports.router)
    app.include_router(registry_forms.router)  # before pages: /facilities/new is not /facilities/{id}
    app.include_router(pages.router)
    app.include_router(map_pages.router)
    for package in domains.discover():
        for path in package.routers:
            app.include_router(domains.load_object(path))
    app.mount("/static/app", StaticFiles(directory=STATIC_DIR), name="static-app")
    for prefix, directory, name in vendor_mounts():
        app.mount(prefix, StaticFiles(directory=directory), name=name)
    return app
