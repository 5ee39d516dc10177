"""Data berubah sejak dinilai ("data changed since rated"; DOMAIN.md §1 "Who rates, and when").

When the rater confirms hasil kerja, the sources it was judged on are kept with the rating as a compact
snapshot: each counted milestone's closing date, working days late and quality (while scored), and the
ids of the counted survey answers. Reading the performance later compares that snapshot with the
sources as they are now; any difference (a milestone closed, corrected or reopened in the period, a
quality scored, an answer counted or excluded) is listed until the rater confirms again."""

from typing import Any

from server.performance.indicators import SCORED, PersonIndicators

Snapshot = dict[str, Any]


def snapshot(person: PersonIndicators) -> Snapshot:
    """The sources of a person's indicators, as stored in Rating.confirmed_sources (JSON: string keys,
    ISO dates)."""
    milestones = {
        str(source["id"]): {
            "closed_on": source["closed_on"].isoformat(),
            "late_working_days": source["late_working_days"],
            "quality": source["quality"] if source["quality_status"] == SCORED else None,
        }
        for source in person.indicators["timeliness"].sources
    }
    feedback = sorted(source["id"] for source in person.indicators["satisfaction"].sources)
    return {"milestones": milestones, "feedback": feedback}


def changes_since(confirmed: Snapshot | None, current: Snapshot) -> list[dict[str, Any]]:
    """What differs between the confirmed snapshot and the current one: milestones first, then survey
    answers, each by id; `change` is added, removed or changed, with the values before and after."""
    if confirmed is None:
        return []
    found: list[dict[str, Any]] = []
    before, after = confirmed.get("milestones") or {}, current["milestones"]
    for key in sorted(set(before) | set(after), key=int):
        old, new = before.get(key), after.get(key)
        if old != new:
            change = "added" if old is None else "removed" if new is None else "changed"
            found.append({"kind": "milestone", "id": int(key), "change": change, "before": old, "after": new})
    counted_then, counted_now = set(confirmed.get("feedback") or []), set(current["feedback"])
    for answer_id in sorted(counted_then ^ counted_now):
        added = answer_id in counted_now
        found.append(
            {
                "kind": "feedback",
                "id": answer_id,
                "change": "added" if added else "removed",
                "before": None if added else {"counted": True},
                "after": {"counted": True} if added else None,
            }
        )
    return found
