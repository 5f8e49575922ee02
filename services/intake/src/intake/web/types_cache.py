"""The complaint types as the desk shows them: labels and the active flag from the classifier.

The classifier owns the types (``GET /api/v1/types``; an administrator edits a label, the department,
the default urgency and ``active`` on ``/desk/admin/types``). Intake reads them through its gateway
(:class:`admin_gateway.OwnerClient`, with the preview's short deadline instead of the admin's 5 s) and
keeps the answer for :data:`CACHE_SECONDS`; an administrator's edit through the desk clears it at once.
When the classifier is slow or down, the shared static labels (``COMPLAINT_TYPES``, every type active)
are used and asked for again after :data:`RETRY_SECONDS`, so a page never waits more than one deadline
and filing goes on.

- the intake form's picker offers the **active** types only (:meth:`TypeCatalog.picker`);
- labels (:meth:`TypeCatalog.label`) cover **every** type, so a complaint filed under a type that was
  deactivated later still shows its name on the board, the map and its own page.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

from sunmoon.events.classifier import COMPLAINT_TYPES
from sunmoon.logging import get_logger

from .admin_gateway import OwnerClient, OwnerError

log = get_logger(__name__)
CACHE_SECONDS = 30.0
RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class TypeCatalog:
    labels: dict[str, str]  # every type, in the classifier's order
    active: frozenset[str]
    from_classifier: bool  # False: the static fallback (classifier unreachable)

    def picker(self) -> dict[str, str]:
        """The types an officer may choose now (inactive ones hidden)."""
        return {code: label for code, label in self.labels.items() if code in self.active}

    def label(self, code: str | None) -> str:
        if not code:
            return ""
        return self.labels.get(code) or COMPLAINT_TYPES.get(code, code)


STATIC = TypeCatalog(labels=dict(COMPLAINT_TYPES), active=frozenset(COMPLAINT_TYPES), from_classifier=False)


def parse(body: object) -> TypeCatalog:
    """The classifier's ``{"types": [{"code", "label", "active", ...}]}``; unknown codes are skipped and
    a type it leaves out keeps its static label (and stays active)."""
    items = body["types"] if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise ValueError("no types in the classifier's answer")
    labels: dict[str, str] = {}
    active: set[str] = set()
    for t in items:
        code, label = t.get("code"), t.get("label")
        if code not in COMPLAINT_TYPES or not isinstance(label, str) or not label.strip():
            continue
        labels[code] = label.strip()
        if t.get("active", True):
            active.add(code)
    for code, label in COMPLAINT_TYPES.items():
        if code not in labels:
            labels[code] = label
            active.add(code)
    active.add("other")  # the fallback of every unsure classification; the classifier keeps it active too
    return TypeCatalog(labels=labels, active=frozenset(active), from_classifier=True)


class TypesCache:
    def __init__(self, owner: OwnerClient, timeout: float) -> None:
        self.owner = owner  # the admin gateway's classifier client (tests put a transport on it)
        self.timeout = timeout
        self._cached: tuple[float, TypeCatalog] | None = None

    def now(self) -> TypeCatalog:
        """What is known without asking (the last answer, else the static labels): for the live feed."""
        return self._cached[1] if self._cached else STATIC

    def invalidate(self) -> None:
        self._cached = None

    async def current(self) -> TypeCatalog:
        if self._cached and time.monotonic() < self._cached[0]:
            return self._cached[1]
        client = dataclasses.replace(self.owner, timeout=self.timeout)
        try:
            catalog = parse(await client.call("GET", "/api/v1/types"))
        except (OwnerError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("complaint types unavailable; static labels used", error=f"{type(exc).__name__}: {exc}"[:300])
            stale = self._cached[1] if self._cached else STATIC  # a known answer beats the static one
            self._cached = (time.monotonic() + RETRY_SECONDS, stale)
            return stale
        self._cached = (time.monotonic() + CACHE_SECONDS, catalog)
        return catalog
