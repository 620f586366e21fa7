"""Public pages of the online tribute (网上祭扫) and proxy-visit requests: no sign-in, rate-limited, no personal data.

Everything here is ``Public``. Each write is limited per client address
(settings ``tribute_*``) and by the request-size cap; messages wait for
moderation; a family's private page is reached only through the link the
bureau sends them (``/tribute/visits/{token}``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timezone
from typing import Annotated, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from api.auth import Public
from api.deps import IdPath, ReadSession, WriteSession
from api.idempotency import Idempotency, IdempotencyDep
from api.mapdata import configured_tiles
from api.ratelimit import Rate, RateLimited, SlidingWindow
from api.routers.evidence import display_photo
from api.templating import render
from commemoration import proxy, tribute
from commemoration.schemas import MessageIn, ProxyRequestIn
from commemoration.vocab import ACT_LABELS
from maps.facilities import KIND_COLOURS, point_map, render_html
from memorials import idempotency, ratelimits
from memorials.actors import Actor
from memorials.db import transaction
from memorials.errors import NotFound, ValidationProblem
from memorials.models import Martyr

router = APIRouter(include_in_schema=True, tags=["tribute"], dependencies=[Public])

ANONYMOUS = Actor(user_id=0, username="public", role="viewer", jurisdiction="")
"""Public writes keep their ``Idempotency-Key`` answers under user 0."""


class TributeGate:
    def __init__(self, settings) -> None:  # type: ignore[no-untyped-def]
        self.flowers = SlidingWindow(Rate(settings.tribute_flowers_per_minute, 60))
        self.messages = SlidingWindow(Rate(settings.tribute_messages_per_hour, 3600))
        self.requests = SlidingWindow(Rate(settings.tribute_requests_per_hour, 3600))
        self.key = secrets.token_bytes(32)
        self.blocked = tuple(tribute.DEFAULT_BLOCKED) + tuple(settings.tribute_blocked_words)


async def gate(request: Request) -> TributeGate:
    state = request.app.state
    if getattr(state, "tribute_gate", None) is None:
        state.tribute_gate = TributeGate(state.settings)
    return state.tribute_gate


Gate = Annotated[TributeGate, Depends(gate)]


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def _client(g: TributeGate, request: Request) -> str:
    return hmac.new(g.key, _address(request).encode(), hashlib.sha256).hexdigest()[:32]


def _limit(window: SlidingWindow, request: Request, what: str) -> None:
    """This process's count: refuses a flood before any database work."""
    wait = window.hit(_address(request))
    if wait:
        raise RateLimited(what, wait)


def _shared_limit(session, window: SlidingWindow, request: Request, what: str) -> None:  # type: ignore[no-untyped-def]
    """The same limit counted in the database, in the request's transaction: it holds across processes."""
    wait = ratelimits.hit(session, f"tribute {what} {_address(request)}", limit=window.rate.count,
                          window_s=window.rate.per_seconds)
    if wait:
        raise RateLimited(what, wait)


def _wants_page(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") and "application/json" not in request.headers.get(
        "accept", "")


async def _body(request: Request, model: type[BaseModel]) -> BaseModel:
    """JSON from scripts, a form from the pages: both are checked by the same schema."""
    if request.headers.get("content-type", "").startswith("application/json"):
        raw = await request.json() if await request.body() else {}
    else:
        form = await request.form()
        raw = {k: v for k, v in form.items() if isinstance(v, str) and k != "idempotency_key"}
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ValidationProblem.many([(".".join(str(p) for p in e["loc"]) or "body", e["msg"])
                                      for e in exc.errors()]) from None


def _idem(request: Request, idem: Idempotency, form_key: str | None) -> Idempotency:
    key = idem.key or (idempotency.check_key(form_key) if form_key else None)
    return Idempotency(key=key, method=idem.method, path=idem.path, body=idem.body)


# --- pages ---------------------------------------------------------------------------------------------------------

@router.get("/tribute", response_class=HTMLResponse, include_in_schema=False)
@router.get("/tribute/search", response_class=HTMLResponse)
def search_page(request: Request, session: ReadSession,
                q: Annotated[str, Query(max_length=50, description="name: simplified, traditional or pinyin "
                                                                    "initials (zds)")] = "",
                hometown: Annotated[str, Query(max_length=50, description="hometown, old or new name")] = "",
                ) -> Response:
    """Search the martyrs with a public page by name or hometown."""
    found = tribute.search(session=session, q=q, hometown=hometown)
    return render(request, "tribute_search.html", {"q": q, "hometown": hometown, "found": found,
                                                   "searched": bool(q.strip() or hometown.strip())})


@router.get("/tribute/martyrs/{martyr_id}", response_class=HTMLResponse)
def martyr_page(request: Request, martyr_id: IdPath, session: ReadSession,
                sent: Annotated[str, Query(max_length=20)] = "") -> Response:
    """A martyr's public page: name, dates, unit, biography, resting place; flowers and approved messages."""
    page = tribute.public_page(session=session, martyr_id=martyr_id)
    martyr: Martyr = page.martyr
    place = tribute.resting_place(session, martyr_id)
    messages = tribute.approved_messages(session=session, martyr_id=martyr_id)
    return render(request, "tribute_martyr.html", {"m": martyr, "page": page, "place": place, "messages": messages,
                                                   "sent": sent, "form_key": secrets.token_urlsafe(16)})


@router.get("/tribute/martyrs/{martyr_id}/map", response_class=HTMLResponse, include_in_schema=False)
def martyr_map(request: Request, martyr_id: IdPath, session: ReadSession) -> Response:
    tribute.public_page(session=session, martyr_id=martyr_id)
    place = tribute.resting_place(session, martyr_id)
    if place is None:
        raise NotFound("resting place", martyr_id)
    fmap = point_map(place.longitude, place.latitude, tiles=configured_tiles(request.app.state.settings),
                     colour=KIND_COLOURS.get(place.kind, "#b71c1c"), height="100%")
    return HTMLResponse(render_html(fmap, script_nonce=request.state.csp_nonce))


class FlowersOut(BaseModel):
    martyr_id: int
    flowers: int


@router.post("/tribute/martyrs/{martyr_id}/flowers", response_model=FlowersOut)
def lay_flower(request: Request, martyr_id: IdPath, session: WriteSession, g: Gate, idem: IdempotencyDep
               ) -> Response:
    """Lay a flower; answers the new count (a page form is sent back to the martyr's page).

    With an ``Idempotency-Key``, a retry answers the first count and lays nothing more.
    """
    _limit(g.flowers, request, "flowers from this address")

    def produce() -> BaseModel:
        _shared_limit(session, g.flowers, request, "flowers from this address")
        return FlowersOut(martyr_id=martyr_id, flowers=tribute.lay_flower(session=session, martyr_id=martyr_id))

    answer = idem.respond(session=session, actor=ANONYMOUS, produce=produce, status_code=200)
    if _wants_page(request):
        return RedirectResponse(f"/tribute/martyrs/{martyr_id}?sent=flower#flowers", status_code=303)
    return answer


class MessageAccepted(BaseModel):
    id: int
    martyr_id: int
    text: str
    author: str
    status: str


@router.post("/tribute/martyrs/{martyr_id}/messages", status_code=201, response_model=MessageAccepted)
async def leave_message(request: Request, martyr_id: IdPath, g: Gate, idem: IdempotencyDep) -> Response:
    """Leave a message (``text`` up to 300 characters, ``author``); it shows once an organiser approves it."""
    data = await _body(request, MessageIn)
    form_key = (await request.form()).get("idempotency_key") if not request.headers.get(
        "content-type", "").startswith("application/json") else None
    _limit(g.messages, request, "messages from this address")
    client = _client(g, request)
    keyed = _idem(request, idem, form_key if isinstance(form_key, str) else None)

    def run() -> Response:
        with transaction(request.app.state.write_sessions) as session:
            def produce() -> BaseModel:
                _shared_limit(session, g.messages, request, "messages from this address")
                m = tribute.leave_message(session=session, martyr_id=martyr_id, data=data, client=client,
                                          blocked=g.blocked)
                return MessageAccepted(id=m.id, martyr_id=m.martyr_id, text=m.text, author=m.author, status=m.status)

            return keyed.respond(session=session, actor=ANONYMOUS, produce=produce)

    answer = await to_thread.run_sync(run)
    if _wants_page(request):
        return RedirectResponse(f"/tribute/martyrs/{martyr_id}?sent=message#messages", status_code=303)
    return answer


@router.get("/tribute/proxy-requests/new", response_class=HTMLResponse, include_in_schema=False)
def proxy_form(request: Request, session: ReadSession,
               martyr_id: Annotated[int, Query(ge=1, le=2_147_483_647)]) -> Response:
    page = tribute.public_page(session=session, martyr_id=martyr_id)
    return render(request, "tribute_proxy.html", {"m": page.martyr, "v": {}, "errors": {},
                                                  "form_key": secrets.token_urlsafe(16)})


class ProxyAccepted(BaseModel):
    id: int
    martyr_id: int
    status: str
    message: str


@router.post("/tribute/proxy-requests", status_code=201, response_model=ProxyAccepted)
async def proxy_request(request: Request, g: Gate, idem: IdempotencyDep) -> Response:
    """A family asks the bureau to visit a martyr's grave for them (代祭扫): name, phone, relation, the martyr.

    Scripts send JSON and get JSON; the page's form gets a page back (the form again, with what to correct).
    """
    is_json = request.headers.get("content-type", "").startswith("application/json")
    form = None if is_json else await request.form()
    try:
        data = await _body(request, ProxyRequestIn)
    except ValidationProblem as exc:
        if form is None:
            raise
        ident = str(form.get("martyr_id", ""))
        with transaction(request.app.state.read_sessions) as session:
            page = tribute.public_page(session=session, martyr_id=int(ident)) if re.fullmatch(r"[0-9]{1,9}", ident) else None
            if page is None:
                raise
            return render(request, "tribute_proxy.html",
                          {"m": page.martyr, "v": {k: v for k, v in form.items() if isinstance(v, str)},
                           "errors": dict(exc.problems), "form_key": str(form.get("idempotency_key", ""))},
                          status_code=422)
    _limit(g.requests, request, "proxy-visit requests from this address")
    form_key = form.get("idempotency_key") if form is not None else None
    keyed = _idem(request, idem, form_key if isinstance(form_key, str) else None)

    def run() -> Response:
        with transaction(request.app.state.write_sessions) as session:
            def produce() -> BaseModel:
                _shared_limit(session, g.requests, request, "proxy-visit requests from this address")
                v = proxy.request_public(session=session, data=data)  # type: ignore[arg-type]
                return ProxyAccepted(id=v.id, martyr_id=v.martyr_id, status=v.status,
                                     message="已收到您的代祭扫申请，工作人员将与您电话联系。")

            return keyed.respond(session=session, actor=ANONYMOUS, produce=produce)

    answer = await to_thread.run_sync(run)
    if form is not None:
        return render(request, "tribute_sent.html", {"martyr_id": data.martyr_id}, status_code=201)  # type: ignore[attr-defined]
    return answer


# --- the family's private page ------------------------------------------------------------------------------------

Token = Annotated[str, Path(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get("/tribute/visits/{token}", response_class=HTMLResponse, include_in_schema=False)
def family_page(request: Request, token: Token, session: ReadSession) -> Response:
    visit = proxy.by_token(session=session, token=token, now=datetime.now(timezone.utc))
    if visit is None:
        raise NotFound("visit", "link")
    photos = [a for a in visit.photos if a.kind == "photo"]
    return render(request, "tribute_visit.html", {"visit": visit, "photos": photos, "token": token,
                                                  "ACT_LABELS": ACT_LABELS})


@router.get("/tribute/visits/{token}/photos/{sha256}/{size}", include_in_schema=False)
def family_photo(request: Request, token: Token, sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
                 size: Literal["thumb", "screen"], session: ReadSession) -> Response:
    visit = proxy.by_token(session=session, token=token, now=datetime.now(timezone.utc))
    if visit is None or sha256 not in {a.sha256 for a in visit.photos}:
        raise NotFound("photo", sha256)
    return display_photo(request, sha256, size)
