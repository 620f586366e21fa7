"""What ``memorials fsck`` checks in the proxy visits: each state audited, each visit done with its photo."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from commemoration.models import PROXY_OWNER, ProxyVisit
from commemoration.proxy import FLOW
from evidence.models import Attachment
from memorials.integrity import Finding, unaudited_states


def proxy_visits(session: Session) -> Iterator[Finding]:
    yield from unaudited_states(session, ProxyVisit, FLOW)
    photographed = select(Attachment.owner_id).where(Attachment.owner_type == PROXY_OWNER,
                                                     Attachment.verification == "verified")
    done = select(ProxyVisit.id).where(ProxyVisit.status.in_(("visited", "notified")),
                                       ProxyVisit.id.not_in(photographed)).order_by(ProxyVisit.id)
    for ident in session.scalars(done):
        yield Finding("photo_count", "proxy_visit", str(ident), "visited without a verified photo")
