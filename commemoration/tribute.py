"""Online tribute (网上祭扫): a public page per martyr, flowers, moderated messages, a public search.

Only martyrs whose page an organiser has published appear; the page shows
the martyr's own record (name, dates, unit, biography, where they lie) and
never anything about relatives. Anyone may lay a flower (one atomic
``UPDATE … SET flowers = flowers + 1``); a message waits for an organiser
of the martyr's division to approve or reject it (audited). Floods are
stopped before this module by a per-address rate limit and a size limit;
here a message is refused if it holds a blocked word, a link or a phone
number (settings ``tribute_blocked_words``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from commemoration.models import TributeMessage, TributePage
from commemoration.schemas import MessageIn
from commemoration.vocab import MessageStatus
from memorials import audit
from memorials.actors import Actor
from memorials.divisions import prefix_of, scoped, within
from memorials.errors import NotFound, ValidationProblem
from memorials.hometowns import resolve_hometown
from memorials.models import Burial, Facility, Martyr
from memorials.text import like_escape, pinyin_initials, query_key, to_simplified

DEFAULT_BLOCKED = ("法轮", "赌博", "博彩", "色情", "代开发票", "贷款", "加微信", "傻逼", "去死")
"""Words no message on a martyr's page may hold (extend with ``MEMORIALS_TRIBUTE_BLOCKED_WORDS``)."""
_LINK = re.compile(r"(https?://|www\.|\.com\b|\.cn\b|\.net\b)", re.IGNORECASE)
_PHONE = re.compile(r"\d[\d\s-]{6,}\d")


def initials(*names: str) -> str:
    """Pinyin initials of each name (张德胜 → ``zds``), ``|``-joined, for a search by initials.

    >>> initials("张德胜", "張德勝")
    'zds'
    """
    return pinyin_initials(*names)[:40]


def publish(*, session: Session, actor: Actor, martyr_id: int, public: bool) -> TributePage:
    martyr = session.get(Martyr, martyr_id)
    if martyr is None or not actor.covers(martyr.division_code or ""):
        raise NotFound("martyr", martyr_id)
    page = session.get(TributePage, martyr_id)
    old = None if page is None else {"public": page.public}
    if page is None:
        page = TributePage(martyr_id=martyr_id, public=public, flowers=0)
        session.add(page)
    page.public = public
    page.initials = initials(martyr.name, *(martyr.name_variants or []))
    session.flush()
    audit.record(session=session, actor=actor, entity="martyr", entity_id=martyr_id, action="tribute_page", old=old,
                 new={"public": public})
    return page


def public_page(*, session: Session, martyr_id: int) -> TributePage:
    page = session.get(TributePage, martyr_id)
    if page is None or not page.public:
        raise NotFound("martyr", martyr_id)
    return page


def resting_place(session: Session, martyr_id: int) -> Facility | None:
    return session.scalar(select(Facility).join(Burial, Burial.facility_id == Facility.id)
                          .where(Burial.martyr_id == martyr_id, Burial.until.is_(None)))


def lay_flower(*, session: Session, martyr_id: int) -> int:
    public_page(session=session, martyr_id=martyr_id)
    session.execute(update(TributePage).where(TributePage.martyr_id == martyr_id)
                    .values(flowers=TributePage.flowers + 1).execution_options(synchronize_session=False))
    return session.scalar(select(TributePage.flowers).where(TributePage.martyr_id == martyr_id)) or 0


def check_text(text: str, blocked: tuple[str, ...]) -> None:
    plain = to_simplified(re.sub(r"\s+", "", text)).lower()
    for word in blocked:
        if word and to_simplified(word).lower() in plain:
            raise ValidationProblem("text", "含有不适宜的内容，请修改后再提交")
    if _LINK.search(text):
        raise ValidationProblem("text", "留言中不能包含网址链接")
    if _PHONE.search(text):
        raise ValidationProblem("text", "留言中不能包含电话号码等联系方式")


def leave_message(*, session: Session, martyr_id: int, data: MessageIn, client: str,
                  blocked: tuple[str, ...]) -> TributeMessage:
    page = public_page(session=session, martyr_id=martyr_id)
    text = data.text.strip()
    if not text:
        raise ValidationProblem("text", "留言不能为空")
    check_text(text, blocked)
    check_text(data.author, blocked)
    message = TributeMessage(martyr_id=martyr_id, division_code=page.martyr.division_code or "", text=text,
                             author=data.author.strip() or "网友", status=MessageStatus.pending.value, client=client)
    session.add(message)
    session.flush()
    return message


def approved_messages(*, session: Session, martyr_id: int, limit: int = 50) -> list[TributeMessage]:
    return list(session.scalars(select(TributeMessage).where(
        TributeMessage.martyr_id == martyr_id, TributeMessage.status == MessageStatus.approved.value)
        .order_by(TributeMessage.id.desc()).limit(limit)))


def messages_for_moderation(*, session: Session, actor: Actor, status: str | None, limit: int, offset: int
                            ) -> tuple[list[TributeMessage], int]:
    conditions = [scoped(TributeMessage.division_code, actor.scope)]
    if status:
        conditions.append(TributeMessage.status == status)
    total = session.scalar(select(func.count()).select_from(TributeMessage).where(*conditions)) or 0
    rows = session.scalars(select(TributeMessage).where(*conditions).order_by(TributeMessage.id)
                           .limit(limit).offset(offset)).all()
    return list(rows), total


def moderate(*, session: Session, actor: Actor, message_id: int, status: MessageStatus) -> TributeMessage:
    message = session.get(TributeMessage, message_id)
    if message is None or not actor.covers(message.division_code):
        raise NotFound("tribute_message", message_id)
    old = message.status
    message.status = status.value
    message.moderated_by_id = actor.user_id
    message.moderated_at = datetime.now(timezone.utc)
    session.flush()
    if old != status.value:
        audit.record(session=session, actor=actor, entity="tribute_message", entity_id=message.id,
                     action="moderate", old={"status": old}, new={"status": status.value})
    return message


@dataclass
class Found:
    page: TributePage
    martyr: Martyr


def search(*, session: Session, q: str = "", hometown: str = "", limit: int = 30) -> list[Found]:
    """Public martyrs by name (simplified, traditional, pinyin initials) or by hometown (old or new name)."""
    conditions = [TributePage.public.is_(True)]
    q = q.strip()
    if q:
        if re.fullmatch(r"[A-Za-z]{1,10}", q):
            key = like_escape(q.lower())
            conditions.append(or_(TributePage.initials.like(f"{key}%", escape="\\"),
                                  TributePage.initials.like(f"%|{key}%", escape="\\")))
        else:
            conditions.append(Martyr.name_key.like(f"%{like_escape(query_key(q))}%", escape="\\"))
    if hometown.strip():
        text = to_simplified(hometown.strip())
        code = resolve_hometown(session=session, text=text)
        recorded = Martyr.hometown.like(f"%{like_escape(text)}%", escape="\\")
        conditions.append(or_(recorded, within(Martyr.hometown_division_code, prefix_of(code))) if code else recorded)
    if len(conditions) == 1:
        return []
    rows = session.execute(select(TributePage, Martyr).join(Martyr, Martyr.id == TributePage.martyr_id)
                           .where(*conditions).order_by(Martyr.name, Martyr.id).limit(limit)).all()
    return [Found(page, martyr) for page, martyr in rows]
