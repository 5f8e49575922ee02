"""The duty officer's desk: the web pages intake serves under /desk (sign-in, intake form, live board, map,
complaint detail with logged reveal of personal data). ``install(app)`` wires it into intake's app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from sunmoon.auth import bearer

from .. import geocoding
from ..geocoding import CachedGeocoder
from .admin_gateway import AdminGateway
from .auth import CsrfFailed, Forbidden, SignInRequired
from .preview import ClassifierPreview
from .warnings import WeatherWarnings
from .security import SecurityHeaders
from .types_cache import TypesCache

HERE = Path(__file__).resolve().parent


@dataclass
class Desk:
    templates: Jinja2Templates
    preview: ClassifierPreview
    admin: AdminGateway  # the administration screens' calls to the classifier and the notifier
    warnings: WeatherWarnings | None = None  # the map's warnings in force (weather service, fails soft)
    geocoder: CachedGeocoder | None = None   # a real geocoder when a key is configured (map_api.places)
    types: TypesCache | None = None  # the classifier's type labels and active flags (cached, static fallback)


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/desk/api/") or path == "/desk/events" or request.method != "GET"


def install(app: FastAPI) -> None:
    from . import access_review, admin, analytics, admin_roster, admin_users, feed, map_api, pages  # noqa: F401 - admin_*: routes on admin.router

    settings = app.state.settings
    service_headers = bearer(settings.service_token.get_secret_value())  # the desk's own token for other services
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    admin_gateway = AdminGateway.from_settings(settings)
    app.state.desk = Desk(templates=templates,
                          preview=ClassifierPreview(settings.classifier_url, settings.classifier_timeout_seconds,
                                                    ca_file=settings.tls_ca_file, headers=service_headers),
                          admin=admin_gateway,
                          types=TypesCache(admin_gateway.classifier, settings.classifier_timeout_seconds),
                          warnings=WeatherWarnings(settings.weather_url, settings.weather_timeout_seconds,
                                                   ca_file=settings.tls_ca_file, headers=service_headers),
                          geocoder=geocoding.from_settings(settings))
    app.include_router(pages.router)
    app.include_router(access_review.router)  # /desk/access-log/review (supervisor, admin)
    app.include_router(analytics.router)  # /desk/analytics: reporting's dashboard through the desk
    app.include_router(admin.router)
    app.include_router(map_api.router)
    app.include_router(feed.router)
    app.mount("/desk/static", StaticFiles(directory=str(HERE / "static")), name="desk-static")
    app.add_middleware(SecurityHeaders, tile_url=settings.map_tile_url)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _exc: SignInRequired) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "로그인이 필요합니다."}, status_code=401)
        return pages.login_redirect(request)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, _exc: Forbidden) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "권한이 없습니다."}, status_code=403)
        return templates.TemplateResponse(request, "error.html", {"user": getattr(request.state, "desk_user", None),
                                          "message": "이 화면을 볼 권한이 없습니다."}, status_code=403)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, _exc: CsrfFailed) -> Response:
        return JSONResponse({"detail": "보안 토큰이 맞지 않습니다. 화면을 새로 고쳐 주세요."}, status_code=403)
