"""Domain exceptions to HTTP answers: always ``{"detail": ...}`` naming field and reason."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError

from api.idempotency import replay_response
from api.ratelimit import RateLimited
from api.templating import render
from memorials.db import unavailable
from memorials.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthenticated,
    ValidationProblem,
)
from memorials.idempotency import Replay

RETRY_AFTER_SECONDS = 5
UNAVAILABLE = "数据库暂时无法连接，请稍后重试。The database is unavailable for a moment; retry shortly."


def _field_detail(problems: list[tuple[str, str]], where: str = "body") -> list[dict[str, object]]:
    return [{"loc": [where, field], "msg": reason, "type": "value_error"} for field, reason in problems]


def _conflict_detail(message: str) -> list[dict[str, object]] | str:
    field, sep, reason = message.partition(": ")
    if sep and field.isidentifier():
        return [{"loc": ["body", field], "msg": reason, "type": "conflict"}]
    return message


API_PREFIXES = ("/api/", "/health", "/ogc", "/docs", "/openapi")


def wants_html(request: Request) -> bool:
    """Pages answer problems with pages; the API and scripts get JSON."""
    return not request.url.path.startswith(API_PREFIXES)


def _page(request: Request, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", {"title": title, "message": message}, status_code=status)


def _bad_input_page(request: Request, problems: list[tuple[str, str]]) -> Response:
    """A page asked with a bad parameter or form value: 422, in Chinese, naming the field."""
    fields = "、".join(dict.fromkeys(field for field, _ in problems))
    reasons = "；".join(f"{field}：{reason}" for field, reason in problems)
    return _page(request, 422, "输入有误", f"参数 {fields} 的值无法使用，请检查后重试。（{reasons}）")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ValidationProblem)
    async def _validation(request: Request, exc: ValidationProblem) -> Response:
        if wants_html(request):
            return _bad_input_page(request, [(field, reason) for field, reason in exc.problems])
        where = getattr(exc, "where", "body")
        return JSONResponse({"detail": _field_detail(exc.problems, where)}, status_code=422)

    @app.exception_handler(Replay)
    async def _replay(request: Request, exc: Replay) -> Response:
        return replay_response(exc.answer)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        if wants_html(request):
            return _page(request, 404, "未找到", "要查看的记录不存在，或不在您的管辖范围内。")
        return JSONResponse({"detail": f"{exc.entity} {exc.ident} not found"}, status_code=404)

    @app.exception_handler(RateLimited)
    async def _rate_limited(request: Request, exc: RateLimited) -> Response:
        headers = {"Retry-After": str(exc.retry_after)}
        if wants_html(request):
            response = _page(request, 429, "请稍后再试", f"尝试过于频繁，请在 {exc.retry_after} 秒后再试。")
            response.headers.update(headers)
            return response
        return JSONResponse({"detail": str(exc)}, status_code=429, headers=headers)

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": _conflict_detail(str(exc)), **getattr(exc, "extra", {})}, status_code=409)

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
        return JSONResponse(
            {"detail": "the record was changed by someone else meanwhile; reload it and try again"},
            status_code=409,
        )

    async def _database(request: Request, exc: Exception) -> Response:
        if not unavailable(exc):
            raise exc  # a bug: the server's 500
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if wants_html(request):
            response = _page(request, 503, "系统暂时不可用", f"数据库暂时无法连接，请在 {RETRY_AFTER_SECONDS} 秒后刷新重试。")
            response.headers.update(headers)
            return response
        return JSONResponse({"detail": UNAVAILABLE}, status_code=503, headers=headers)

    app.add_exception_handler(DBAPIError, _database)
    app.add_exception_handler(PoolTimeout, _database)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if wants_html(request):
            return _page(request, 403, "无权操作", "您的角色不能进行此项操作；如需权限请联系系统管理员。")
        return JSONResponse({"detail": str(exc) or "not allowed for your role"}, status_code=403)

    @app.exception_handler(Unauthenticated)
    async def _unauthenticated(request: Request, exc: Unauthenticated) -> Response:
        if wants_html(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
        return JSONResponse(
            {"detail": str(exc) or "not signed in"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError) -> Response:
        if wants_html(request):
            return _bad_input_page(request, [(str(e.get("loc", ("",))[-1]), str(e.get("msg", ""))) for e in exc.errors()])
        detail = []
        for err in exc.errors():
            item = {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")), "type": err.get("type", "")}
            detail.append(item)
        return JSONResponse({"detail": detail}, status_code=422)
