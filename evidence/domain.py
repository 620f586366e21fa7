"""The evidence package, as the core and the app find it (entry point ``memorials.domains``).

Not a domain of its own but the layer under them: its table, ``memorials
fsck`` and the routes that send photos and documents plug in the same way.
The owner types come from the domain packages' ``attachment_owners``.
"""

from __future__ import annotations

from evidence.cli import register
from memorials.domains import DomainPackage

DOMAIN = DomainPackage(
    name="evidence",
    label="佐证材料",
    models=("evidence.models",),
    cli=register,
    routers=("api.routers.evidence:router",),
)
