"""The ``Idempotency-Key`` header on routes that create things."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from memorials import idempotency
from memorials.actors import Actor

REPLAY_HEADER = "Idempotent-Replayed"


@dataclass
class Idempotency:
    key: str | None
    method: str
    path: str
    body: bytes

    def respond(
        self,
        *,
        session: Session,
        actor: Actor,
        produce: Callable[[], BaseModel],
        status_code: int = 201,
        extra_fingerprint: bytes | str = b"",
    ) -> Response:
        """Run ``produce`` once per key and answer with its JSON; a retry gets the first answer."""
        if self.key is None or actor.user_id is None:
            return Response(produce().model_dump_json(), status_code=status_code, media_type="application/json")
        print_ = idempotency.fingerprint(self.body, extra_fingerprint)
        record = idempotency.claim(session=session, user_id=actor.user_id, key=self.key, method=self.method,
                                   path=self.path, print_=print_)
        body = produce().model_dump_json()
        idempotency.complete(session=session, record=record, status_code=status_code, body=body)
        return Response(body, status_code=status_code, media_type="application/json")


async def idempotency_of(
    request: Request,
    idempotency_key: Annotated[str | None, Header(description="repeat a request safely: the same key gives the "
                                                              "first answer again and creates nothing")] = None,
) -> Idempotency:
    key = idempotency.check_key(idempotency_key) if idempotency_key is not None else None
    try:
        body = await request.body()
    except RuntimeError:  # multipart bodies are streamed, not kept: the route fingerprints its parts
        body = b""
    return Idempotency(key=key, method=request.method, path=request.url.path, body=body)


IdempotencyDep = Annotated[Idempotency, Depends(idempotency_of)]


def replay_response(answer: idempotency.StoredAnswer) -> Response:
    return Response(answer.body, status_code=answer.status_code, media_type="application/json",
                    headers={REPLAY_HEADER: "true"})
