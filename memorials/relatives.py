"""Martyrs' relatives, and the masking of their personal data.

Phone numbers, ID numbers and addresses are shown only to roles that need
them (case officers, admins); every unmasked read is written to the audit
trail.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from memorials import audit
from memorials.actors import Actor
from memorials.errors import NotFound
from memorials.models import Martyr, Relative
from memorials.permissions import Permission, allowed
from memorials.schemas import RelativeCreate, RelativeOut

AUDITED_FIELDS = ("martyr_id", "name", "relation", "phone", "id_number", "address")


# ---- masking -------------------------------------------------------------------------------------------------
#
# What a masked value may still show, for every length and format (the rest is
# hidden; empty stays empty; the whole value is never shown):
#   phone      an 11-digit mobile: the first 3 and the last 4 digits (+86 kept);
#              a landline: its area code and the last 2 (7 digits) or 3 (8 digits);
#              anything else: at most its last 4 letters or digits, never half of them;
#   ID number  (identity card, passport, HK/Macao/Taiwan permit): at most the last 4
#              characters, and never more than half of them;
#   address    down to the township (乡, 镇, 街道, 苏木), else down to the county;
#              never a village, group, street or house number.

_MOBILE = re.compile(r"(?:(?:\+|00)\s*86|86)?[\s\-]*(1\d{2})[\s\-]?(\d{4})[\s\-]?(\d{4})")
_LANDLINE = re.compile(
    r"(?:(?:(?:\+|00)\s*86[\s\-]*)[(（]?(?P<cc_area>0?[12]\d|0?[3-9]\d{2})[)）]?"
    r"|[(（]?(?P<area>0[12]\d|0[3-9]\d{2})[)）]?)?[\s\-]*"
    r"(?P<sub>\d{7,8}|\d{3,4}[\s\-]\d{4})"
    r"(?:[\s\-]*(?:转|分机|ext\.?|x|#|-)\s*(?P<ext>\d{1,6}))?",
    re.IGNORECASE,
)


def _hide(text: str, shown: int) -> str:
    """All but the last ``shown`` characters of ``text`` as ``*``."""
    return "*" * (len(text) - shown) + (text[-shown:] if shown else "")


def _hide_but_letters(text: str, shown: int) -> str:
    """All of ``text`` as ``*`` but its last ``shown`` letters or digits."""
    out = []
    for char in reversed(text):
        keep = shown > 0 and char.isalnum()
        shown -= keep
        out.append(char if keep else "*")
    return "".join(reversed(out))


def _phone_tail(n: int) -> int:
    """Digits a number of ``n`` digits may show at its end: 7 -> 2, 8 -> 3, 11 -> 4, never half."""
    return 0 if n <= 3 else 1 if n <= 5 else 2 if n <= 7 else 3 if n <= 10 else 4


def mask_phone(phone: str) -> str:
    """``13812341234`` -> ``138****1234``; ``0713-5123456`` -> ``0713-*****56``; ``5123456`` -> ``*****56``.

    Anything not recognised as a Chinese mobile or landline shows only a
    short tail of its letters and digits (see ``_phone_tail``).
    """
    text = phone.strip()
    if not text:
        return ""
    bare = re.sub(r"[\s\-()（）]", "", text)   # 0713 512 34 56 is still a landline
    mobile = _MOBILE.fullmatch(text) or _MOBILE.fullmatch(bare)
    if mobile:
        prefix = "+86 " if re.match(r"(?:\+|00)?\s*86", text) and len(re.sub(r"\D", "", text)) > 11 else ""
        return f"{prefix}{mobile[1]}****{mobile[3]}"
    landline = _LANDLINE.fullmatch(text) or _LANDLINE.fullmatch(bare)
    if landline:
        sub = re.sub(r"\D", "", landline["sub"])
        area = ""
        if landline["cc_area"]:
            area = f"+86 {landline['cc_area']}-"
        elif landline["area"]:
            area = f"{landline['area']}-"
        ext = f"-{'*' * len(landline['ext'])}" if landline["ext"] else ""
        return area + _hide(sub, _phone_tail(len(sub))) + ext
    compact = re.sub(r"\s+", "", text)
    return _hide_but_letters(compact, _phone_tail(sum(c.isalnum() for c in compact)))


def mask_id_number(number: str) -> str:
    """``420000198001011234`` -> ``**************1234``; ``E12345678`` -> ``*****5678``; ``1234`` -> ``**34``."""
    text = re.sub(r"\s+", "", number)
    return _hide(text, min(4, len(text) // 2))


_STOP = re.compile(r"村|组|号|门牌|社区|小区|路|街(?!道|街道)|巷|弄|胡同|栋|幢|单元|室|队|[0-9０-９]")
"""Where the part of an address below the township begins."""
_NAMED_BY_STOP = re.compile(r"村|社区|小区|路|街|巷|弄|胡同")
"""Stops that end a name: text just before them belongs to that name (张市村, 城关镇街)."""
_TOWNSHIP = re.compile(r"街道|苏木|乡|镇")
_COUNTY_AHEAD = re.compile(r".{0,2}?[市县区旗]|[^乡镇]{0,10}?自治[县旗]")
"""After 乡/镇, what shows that they begin a county's name instead (镇江市, 乡宁县, 湘乡市, 镇宁…自治县)."""
_ADMIN_LEVELS = tuple(re.compile(rf"{name}(?![省市县区旗州盟])") for name in (
    r"(?:北京|天津|上海|重庆)市|[^省市县区旗]{1,8}?(?:省|自治区|特别行政区)",
    r"[^省市县区旗]{1,10}?(?:自治州|地区|市|州|盟)",
    r"[^省市县区旗]{1,10}?(?:县|区|旗|市)",
))
"""Province, prefecture and county, each optional, in this order from the start."""


def _address_prefixes(text: str) -> list[str]:
    """Prefixes of ``text`` that may be shown, the longest first: to the township, then each level above."""
    stop = _STOP.search(text)
    head = text[: stop.start()] if stop else text
    named = bool(stop and _NAMED_BY_STOP.match(text, stop.start()))

    def fits(end: int) -> bool:
        return not (named and end == len(head))

    out: list[str] = []
    for match in _TOWNSHIP.finditer(head):
        if match.group() in "乡镇" and _COUNTY_AHEAD.match(head, match.end()):
            continue
        if fits(match.end()):
            out.append(head[: match.end()])
        break
    ends: list[int] = []
    position = 0
    for level in _ADMIN_LEVELS:
        match = level.match(head, position)
        if match:
            position = match.end()
            ends.append(position)
    out.extend(head[:end] for end in reversed(ends) if fits(end))
    return out


def mask_address(address: str) -> str:
    """``湖北省红安县七里坪镇长胜街8号`` -> ``湖北省红安县七里坪镇****``; ``红安县张家湾村3组`` -> ``红安县****``."""
    text = address.strip()
    if not text:
        return ""
    for prefix in _address_prefixes(text):
        if len(prefix.strip()) < len(text):
            return prefix.strip() + "****"
    return "****"


def masked_values(values: dict[str, object]) -> dict[str, object]:
    """A copy of ``values`` with personal fields masked (for audit entries shown to others)."""
    out = dict(values)
    for name, fn in (("phone", mask_phone), ("id_number", mask_id_number), ("address", mask_address)):
        if isinstance(out.get(name), str):
            out[name] = fn(out[name])  # type: ignore[arg-type]
    return out


def may_see_contacts(actor: Actor) -> bool:
    return allowed(actor.role, Permission.relatives_contact)


def view(relative: Relative, *, unmasked: bool) -> RelativeOut:
    """The relative as shown: personal fields masked unless ``unmasked``."""
    values = {"id": relative.id, "martyr_id": relative.martyr_id, "name": relative.name,
              "relation": relative.relation, "phone": relative.phone, "id_number": relative.id_number,
              "address": relative.address}
    return RelativeOut(**(values if unmasked else masked_values(values)), masked=not unmasked)


def list_relatives(*, session: Session, martyr: Martyr, actor: Actor) -> list[RelativeOut]:
    """The martyr's relatives as ``actor`` may see them; an unmasked read is audited."""
    rows = list(session.scalars(select(Relative).where(Relative.martyr_id == martyr.id).order_by(Relative.id)))
    unmasked = may_see_contacts(actor)
    if unmasked and rows:
        audit.record(session=session, actor=actor, entity="martyr", entity_id=martyr.id, action="read_contacts",
                     old=None, new={"relative_ids": [r.id for r in rows]})
    return [view(r, unmasked=unmasked) for r in rows]


def create_relative(*, session: Session, martyr: Martyr, data: RelativeCreate, actor: Actor) -> Relative:
    relative = Relative(martyr_id=martyr.id, **data.model_dump())
    session.add(relative)
    session.flush()
    audit.record(session=session, actor=actor, entity="relative", entity_id=relative.id, action="create",
                 old=None, new=audit.snapshot(relative, AUDITED_FIELDS))
    return relative


def get_relative(*, session: Session, martyr: Martyr, relative_id: int) -> Relative:
    """A relative of ``martyr`` (already loaded within the user's jurisdiction), or ``NotFound``."""
    relative = session.get(Relative, relative_id)
    if relative is None or relative.martyr_id != martyr.id:
        raise NotFound("relative", relative_id)
    return relative


def read_for_editing(*, session: Session, relative: Relative, actor: Actor) -> RelativeOut:
    """The relative unmasked for an editor who may see contacts (the read is audited), else masked."""
    unmasked = may_see_contacts(actor)
    if unmasked:
        audit.record(session=session, actor=actor, entity="martyr", entity_id=relative.martyr_id,
                     action="read_contacts", old=None, new={"relative_ids": [relative.id]})
    return view(relative, unmasked=unmasked)


def update_relative(*, session: Session, relative: Relative, data: RelativeCreate, actor: Actor) -> Relative:
    """Replace a relative's details (every field given, as on the form); the change is audited."""
    changes = audit.Changes(relative, AUDITED_FIELDS)
    for name, value in data.model_dump().items():
        setattr(relative, name, value)
    changes.record(session=session, actor=actor, entity="relative")
    return relative
