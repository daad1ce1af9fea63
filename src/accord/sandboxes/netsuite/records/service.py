"""Record operations: create, read, update, upsert, delete and list, all under the store lock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.sandboxes.netsuite import rules
from accord.sandboxes.netsuite.errors import ErrorCode, NetSuiteError, invalid, not_found
from accord.sandboxes.netsuite.records.catalog import spec_for
from accord.sandboxes.netsuite.records.convert import normalize, record_href, render_record
from accord.sandboxes.netsuite.records.fields import RecordSpec
from accord.sandboxes.netsuite.records.filtering import compile_filter
from accord.sandboxes.netsuite.state import NetSuiteStore, StoredRecord

DEFAULT_PAGE = 1000


def resolve_spec(record_type: str) -> RecordSpec:
    spec = spec_for(record_type)
    if spec is None:
        raise NetSuiteError(404, ErrorCode.INVALID_PARAMETER,
                            f"Record type '{record_type}' does not exist.")
    return spec


@dataclass(frozen=True)
class Saved:
    record: StoredRecord
    created: bool


class RecordService:
    def __init__(self, store: NetSuiteStore) -> None:
        self.store = store

    def _duplicate(self, spec: RecordSpec, data: dict[str, Any], own_id: str | None) -> None:
        external_id = data.get("externalId")
        if external_id is None:
            return
        holder = self.store.by_external_id(spec.name, str(external_id))
        if holder is not None and holder.id != own_id:
            raise NetSuiteError(400, ErrorCode.DUP_RCRD,
                                f"A {spec.name} record with external ID {external_id} already "
                                "exists.", "externalId")

    def _save(self, spec: RecordSpec, data: dict[str, Any], own_id: str | None) -> StoredRecord:
        self._duplicate(spec, data, own_id)
        effects = rules.check(self.store, spec, data, own_id)
        previous = dict(self.store.ledger.by_source.get(own_id, {})) if own_id else {}
        record = self.store.put(spec.name, data, own_id)
        self.store.ledger.replace(record.id, effects.applications)
        for payment, deposit in list(self.store.ledger.deposits.items()):
            if deposit == record.id:
                del self.store.ledger.deposits[payment]
        for payment in effects.deposits:
            self.store.ledger.deposits[payment] = record.id
            self.store.touch("customerPayment", payment)
        for doc in set(previous) | set(effects.applications):
            for doc_type in ("invoice", "creditMemo", "customerPayment"):
                self.store.touch(doc_type, doc)
        return record

    def create(self, record_type: str, body: Any, *, strict: bool = False) -> StoredRecord:
        spec = resolve_spec(record_type)
        with self.store.lock:
            data = normalize(self.store, spec, body, strict=strict)
            return self._save(spec, data, None)

    def update(self, record_type: str, key: str, body: Any, *, strict: bool = False
               ) -> StoredRecord:
        spec = resolve_spec(record_type)
        with self.store.lock:
            existing = self.store.get(spec.name, key)
            if existing is None:
                raise not_found(spec.name, key)
            data = normalize(self.store, spec, body, existing.data, strict=strict)
            return self._save(spec, data, existing.id)

    def upsert(self, record_type: str, key: str, body: Any, *, strict: bool = False) -> Saved:
        """``PUT .../{type}/eid:{externalId}``: update the record with that external id or
        create it."""
        spec = resolve_spec(record_type)
        if not key.startswith("eid:"):
            raise NetSuiteError(405, ErrorCode.METHOD_NOT_ALLOWED,
                                "Upsert is only supported with an external ID in the URL "
                                "(eid:<externalId>).")
        external_id = key[4:]
        with self.store.lock:
            if isinstance(body, dict) and body.get("externalId") not in (None, external_id):
                raise invalid("The external ID in the body differs from the one in the URL.",
                              "externalId")
            existing = self.store.get(spec.name, key)
            payload = {**body, "externalId": external_id} if isinstance(body, dict) else body
            if existing is not None:
                data = normalize(self.store, spec, payload, existing.data, strict=strict)
                return Saved(self._save(spec, data, existing.id), created=False)
            data = normalize(self.store, spec, payload, strict=strict)
            return Saved(self._save(spec, data, None), created=True)

    def delete(self, record_type: str, key: str) -> None:
        spec = resolve_spec(record_type)
        with self.store.lock:
            existing = self.store.get(spec.name, key)
            if existing is None:
                raise not_found(spec.name, key)
            rules.check_delete(self.store, existing)
            touched = dict(self.store.ledger.by_source.get(existing.id, {}))
            self.store.remove(existing)
            for doc in touched:
                for doc_type in ("invoice", "creditMemo", "customerPayment"):
                    self.store.touch(doc_type, doc)

    def get(self, record_type: str, key: str) -> tuple[RecordSpec, StoredRecord]:
        spec = resolve_spec(record_type)
        existing = self.store.get(spec.name, key)
        if existing is None:
            raise not_found(spec.name, key)
        return spec, existing

    def render(self, record_type: str, key: str, root: str, *, expand: bool) -> dict[str, Any]:
        with self.store.lock:
            spec, record = self.get(record_type, key)
            return render_record(self.store, spec, record, root,
                                 rules.derive(self.store, record), expand=expand)

    def list_page(self, record_type: str, root: str, limit: int, offset: int,
                  query: str | None = None) -> dict[str, Any]:
        spec = resolve_spec(record_type)
        keep = compile_filter(spec, query) if query else None
        with self.store.lock:
            ids = sorted((record.id for record in self.store.all(spec.name)
                          if keep is None or keep(record)), key=int)
        base = f"{root}/services/rest/record/v1/{spec.name}"
        items = [{"links": [{"rel": "self", "href": record_href(root, spec.name, i)}], "id": i}
                 for i in ids[offset:offset + limit]]
        return page(base, items, total=len(ids), limit=limit, offset=offset)


def page(base: str, items: list[dict[str, Any]], *, total: int, limit: int, offset: int
         ) -> dict[str, Any]:
    """A collection page with NetSuite's paging links."""
    has_more = offset + len(items) < total
    links = [{"rel": "self", "href": f"{base}?limit={limit}&offset={offset}"}]
    if offset > 0:
        links.insert(0, {"rel": "previous",
                         "href": f"{base}?limit={limit}&offset={max(0, offset - limit)}"})
        links.insert(0, {"rel": "first", "href": f"{base}?limit={limit}&offset=0"})
    if has_more:
        last = ((total - 1) // limit) * limit if limit else 0
        links.insert(0, {"rel": "last", "href": f"{base}?limit={limit}&offset={last}"})
        links.insert(0, {"rel": "next", "href": f"{base}?limit={limit}&offset={offset + limit}"})
    return {"links": links, "count": len(items), "hasMore": has_more, "items": items,
            "offset": offset, "totalResults": total}


def paging(limit: str | None, offset: str | None, *, maximum: int = DEFAULT_PAGE
           ) -> tuple[int, int]:
    try:
        size = int(limit) if limit is not None else DEFAULT_PAGE
        start = int(offset) if offset is not None else 0
    except ValueError:
        raise NetSuiteError(400, ErrorCode.INVALID_PARAMETER,
                            "The limit and offset parameters must be integers.") from None
    if not 1 <= size <= maximum:
        raise NetSuiteError(400, ErrorCode.INVALID_PARAMETER,
                            f"The limit must be between 1 and {maximum}.", "limit")
    if start < 0:
        raise NetSuiteError(400, ErrorCode.INVALID_PARAMETER, "The offset must not be negative.",
                            "offset")
    return size, start


__all__ = ["DEFAULT_PAGE", "RecordService", "Saved", "page", "paging", "resolve_spec"]
