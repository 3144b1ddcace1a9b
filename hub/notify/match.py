"""Match what a lane saw against what a notification declared; pure functions, no I/O.

**Plates.**  Readings and declarations are compared after :func:`shekara.plates.normalise`
(spaces gone, Cyrillic look-alikes as Latin).  Equal is an exact match (score 1).  Equal
once the OCR confusions 0/O, 1/I, 2/Z, 5/S, 6/G and 8/B are folded
(:func:`shekara.plates.confusion_key`) is still a match, with a lower score and the
confused positions as its reason.  One character more, less or different beyond that
is a near miss: "probable", shown to the officer, never accepted on its own.

**Vehicles.**  A notification matches on its tractor, and also on a trailer plate,
container numbers or seals when the tractor differs: at Garabogaz trailers have been
handed between tractors (docs/notify.md).  That case is flagged, not hidden.

**Items.**  Declared containers, seals and SSCCs against the codes scanned at the lane:
declared and seen, declared and not seen, seen and not declared.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hub.notify.records import KeyKind
from shekara.plates import confusion_key, normalise

EXACT = 1.0
PER_CONFUSION = 0.08  # each folded position lowers a match's score by this much
CONFUSION_FLOOR = 0.7
NEAR_MISS = 0.5
OTHER_CANDIDATE = 0.9  # a reading the edge ranked below its best


class Level(StrEnum):
    """How far a match goes."""

    MATCH = "match"
    PROBABLE = "probable"  # shown to the officer for a decision, never accepted alone
    NONE = "none"


class ItemStatus(StrEnum):
    """One declared or scanned code, compared."""

    SEEN = "declared_seen"
    MISSING = "declared_not_seen"
    UNDECLARED = "seen_not_declared"


@dataclass(frozen=True, slots=True)
class PlateMatch:
    """A reading compared with a declared plate."""

    level: Level
    score: float
    reason: str
    read: str = ""
    declared: str = ""


NO_MATCH = PlateMatch(Level.NONE, 0.0, "no reading matches")


@dataclass(frozen=True, slots=True)
class PlateReading:
    """One plate text the lane read, with the edge's confidence."""

    text: str
    confidence: float = 1.0
    rank: int = 0  # 0 = the edge's best reading of that passage


@dataclass(frozen=True, slots=True)
class Sighting:
    """What a lane saw of one vehicle: plate readings and scanned codes."""

    readings: tuple[PlateReading, ...]
    codes: frozenset[str] = frozenset()  # containers, SSCCs, seals: canonical text


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One container, seal or SSCC and what became of it."""

    kind: str  # "container", "seal" or "sscc"
    code: str
    status: ItemStatus


@dataclass(frozen=True, slots=True)
class VehicleMatch:
    """A notification against a sighting."""

    level: Level
    score: float
    tractor: PlateMatch
    trailers: tuple[PlateMatch, ...]
    items: tuple[ItemResult, ...]
    tractor_changed: bool  # matched on trailer or equipment while the tractor differs
    reasons: tuple[str, ...] = field(default=())


def _edit_distance_at_most_one(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def plate_match(read: str, declared: str) -> PlateMatch:
    """Compare one reading with one declared plate."""
    r, d = normalise(read), normalise(declared)
    if not r or not d:
        return NO_MATCH
    if r == d:
        return PlateMatch(Level.MATCH, EXACT, "exact", r, d)
    fr, fd = confusion_key(r), confusion_key(d)
    if fr == fd:
        swaps = [f"{x} read for {y} at {i + 1}" for i, (x, y) in enumerate(zip(r, d, strict=True))
                 if x != y]  # fmt: skip
        score = max(CONFUSION_FLOOR, EXACT - PER_CONFUSION * len(swaps))
        return PlateMatch(Level.MATCH, score, "OCR confusion: " + ", ".join(swaps), r, d)
    if _edit_distance_at_most_one(fr, fd):
        return PlateMatch(Level.PROBABLE, NEAR_MISS, f"near miss: read {r}, declared {d}", r, d)
    return PlateMatch(Level.NONE, 0.0, f"{r} is not {d}", r, d)


def best_plate_match(readings: Iterable[PlateReading], declared: str) -> PlateMatch:
    """The best of several readings against one declared plate."""
    best = NO_MATCH
    for reading in readings:
        m = plate_match(reading.text, declared)
        if reading.rank and m.level is not Level.NONE:
            m = PlateMatch(m.level, m.score * OTHER_CANDIDATE, m.reason + " (an alternative "
                           "reading)", m.read, m.declared)  # fmt: skip
        if m.score > best.score:
            best = m
    return best


def _items(kind: str, declared: Sequence[str], seen: frozenset[str]) -> list[ItemResult]:
    return [ItemResult(kind, c, ItemStatus.SEEN if c in seen else ItemStatus.MISSING)
            for c in declared]  # fmt: skip


def declared_codes(body: dict[str, Any]) -> dict[str, list[str]]:
    """Containers, seals and SSCCs of a stored notification body."""
    equipment = body.get("equipment", {})
    ssccs = [s for c in body.get("consignments", []) for i in c["items"] for s in i["ssccs"]]
    return {"container": list(equipment.get("containers", [])),
            "seal": list(equipment.get("seals", [])), "sscc": ssccs}  # fmt: skip


def match_vehicle(sighting: Sighting, body: dict[str, Any]) -> VehicleMatch:
    """Compare a sighting with one notification (its stored, validated body)."""
    conveyance = body["conveyance"]
    tractor = best_plate_match(sighting.readings, conveyance["tractor"]["plate"])
    trailers = tuple(best_plate_match(sighting.readings, t["plate"])
                     for t in conveyance.get("trailers", []))  # fmt: skip
    codes = declared_codes(body)
    items: list[ItemResult] = []
    for kind, declared in codes.items():
        items += _items(kind, declared, sighting.codes)
    everything = {c for declared in codes.values() for c in declared}
    items += [ItemResult("code", c, ItemStatus.UNDECLARED)
              for c in sorted(sighting.codes - everything)]  # fmt: skip
    seen = {i.kind for i in items if i.status is ItemStatus.SEEN}
    reasons = [f"tractor: {tractor.reason}"] if tractor.level is not Level.NONE else []
    best_trailer = max(trailers, key=lambda m: m.score, default=NO_MATCH)
    if best_trailer.level is not Level.NONE:
        reasons.append(f"trailer: {best_trailer.reason}")
    equipment_score = max(
        [0.95 if "container" in seen else 0.0, 0.9 if "seal" in seen else 0.0,
         0.9 if "sscc" in seen else 0.0]
    )  # fmt: skip
    reasons += [f"{kind} scanned as declared" for kind in sorted(seen)]
    score = max(tractor.score, best_trailer.score, equipment_score)
    if tractor.level is Level.MATCH or best_trailer.level is Level.MATCH or equipment_score:
        level = Level.MATCH
    elif Level.PROBABLE in (tractor.level, best_trailer.level):
        level = Level.PROBABLE
    else:
        level = Level.NONE
    changed = level is Level.MATCH and tractor.level is not Level.MATCH
    if changed:
        reasons.append("the tractor differs from the one declared: trailer handed over?")
    return VehicleMatch(level, score if level is not Level.NONE else 0.0, tractor, trailers,
                        tuple(items), changed, tuple(reasons))  # fmt: skip


def plate_keys(plate: str, role: KeyKind) -> list[tuple[KeyKind, str]]:
    """Index keys of a declared plate: its folded text, and each one-deletion variant."""
    folded = confusion_key(plate)
    return [(role, folded), *((KeyKind.NEAR, v) for v in _deletions(folded))]


def reading_keys(text: str) -> list[tuple[KeyKind, str]]:
    """Keys to look a reading up by: they find every declared plate within one edit."""
    folded = confusion_key(text)
    probes = [folded, *_deletions(folded)]
    return [(kind, p) for p in probes for kind in (KeyKind.TRACTOR, KeyKind.TRAILER, KeyKind.NEAR)]


def _deletions(folded: str) -> list[str]:
    return list(dict.fromkeys(folded[:i] + folded[i + 1 :] for i in range(len(folded))))
