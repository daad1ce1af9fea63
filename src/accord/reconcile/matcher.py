"""Record-level matching between a source and a target system.

Records from each side are reduced to a :class:`RecordView` keyed by a business key shared by
both (the canonical id through xref, or a document number). Comparison happens in a
disk-backed scratch table, so memory stays flat however many records there are. Each key
yields at most one difference, checked in this order: missing in target, duplicate in target,
orphan, currency mismatch, amount mismatch, status mismatch. A difference carries the ids of
its records on both sides and the source records' related references (e.g. the deals behind
a CRM account), so the run can tell whose open exception already holds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from accord.canonical.money import Money
from accord.canonical.reconciliation import RecordView
from accord.errors import Team
from accord.reconcile.differences import DEFAULT_OWNERS, Difference, DifferenceKind
from accord.store.scratch import load, scratch_db

COLUMNS = ("side", "key", "system_id", "currency", "minor", "status", "refs")
REF_SEPARATOR = ","


def _rows(side: str, records: Iterable[RecordView]) -> Iterator[tuple[object, ...]]:
    for record in records:
        amount = record.amount
        yield (side, record.key, record.system_id,
               amount.currency if amount else record.currency,
               amount.to_minor_units() if amount else None, record.status,
               REF_SEPARATOR.join(record.refs) if record.refs else None)


def _split(joined: str | None) -> tuple[str, ...]:
    return tuple(sorted({part for part in joined.split(REF_SEPARATOR) if part})) \
        if joined else ()


def _money(currency: str | None, minor: int | None) -> str | None:
    if currency is None or minor is None:
        return None
    return str(Money.from_minor_units(minor, currency))


def compare(source: Iterable[RecordView], target: Iterable[RecordView], *, entity: str,
            source_system: str, target_system: str,
            status_map: Mapping[str, str] | None = None,
            owners: Mapping[DifferenceKind, Team] = DEFAULT_OWNERS) -> Iterator[Difference]:
    """Yield every difference between the two streams, ordered by key.

    Statuses are compared where both sides report one (readers report accord's status
    words). ``status_map`` translates source statuses before comparing; with a map, source
    statuses absent from it are not compared.
    """
    with scratch_db() as db:
        db.execute("CREATE TABLE rec (side TEXT, key TEXT, system_id TEXT, currency TEXT, "
                   "minor INTEGER, status TEXT, refs TEXT)")
        load(db, "rec", COLUMNS, _rows("s", source))
        load(db, "rec", COLUMNS, _rows("t", target))
        db.execute("CREATE INDEX rec_key ON rec (key, side)")
        query = """
            SELECT key,
                   SUM(side = 's') AS sources,
                   SUM(side = 't') AS targets,
                   MAX(CASE WHEN side = 's' THEN currency END),
                   MAX(CASE WHEN side = 's' THEN minor END),
                   MAX(CASE WHEN side = 's' THEN status END),
                   MAX(CASE WHEN side = 't' THEN currency END),
                   MAX(CASE WHEN side = 't' THEN minor END),
                   MAX(CASE WHEN side = 't' THEN status END),
                   GROUP_CONCAT(CASE WHEN side = 't' THEN system_id END, ','),
                   GROUP_CONCAT(CASE WHEN side = 's' THEN system_id END, ','),
                   GROUP_CONCAT(CASE WHEN side = 's' THEN refs END, ',')
            FROM rec GROUP BY key ORDER BY key
        """
        for row in db.execute(query):
            (key, sources, targets, s_cur, s_minor, s_status, t_cur, t_minor, t_status,
             t_ids, s_ids, s_refs) = row
            ids = _split(t_ids)
            origin = _split(s_ids)
            refs = _split(s_refs)

            def diff(kind: DifferenceKind, expected: str | None, actual: str | None,
                     key: str = key, ids: tuple[str, ...] = ids,
                     origin: tuple[str, ...] = origin, refs: tuple[str, ...] = refs
                     ) -> Difference:
                return Difference(kind, entity, key, source_system, target_system, expected,
                                  actual, owners[kind], ids, origin, refs)

            if targets == 0:
                yield diff(DifferenceKind.MISSING_IN_TARGET, _money(s_cur, s_minor), None)
            elif targets > 1:
                yield diff(DifferenceKind.DUPLICATE_IN_TARGET, "1", str(targets))
            elif sources == 0:
                yield diff(DifferenceKind.ORPHAN, None, _money(t_cur, t_minor))
            elif s_cur is not None and t_cur is not None and s_cur != t_cur:
                yield diff(DifferenceKind.CURRENCY_MISMATCH, s_cur, t_cur)
            elif s_minor is not None and t_minor is not None and s_minor != t_minor:
                yield diff(DifferenceKind.AMOUNT_MISMATCH, _money(s_cur, s_minor),
                           _money(t_cur, t_minor))
            elif (expected := _expected_status(s_status, status_map)) is not None \
                    and t_status is not None and expected != t_status:
                yield diff(DifferenceKind.STATUS_MISMATCH, expected, t_status)


def _expected_status(status: str | None, status_map: Mapping[str, str] | None) -> str | None:
    if status is None or status_map is None:
        return status
    return status_map.get(status)


__all__ = ["compare"]
