"""The NetSuite connector against the sandbox: posting, reading back, errors, secrets."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from tests.netsuite import documents

from accord.canonical import Money
from accord.connectors.netsuite import CONNECTOR, mapping
from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.errors import (
    ConflictError,
    DataQualityError,
    PermanentError,
    RateLimited,
    Team,
    TransientError,
)
from accord.resilience.retry import RetriesExhausted


@pytest.fixture
def today(control: httpx.Client) -> date:
    return datetime.fromisoformat(control.get("/clock").json()["now"]).date()


def test_definition() -> None:
    assert CONNECTOR.name == "netsuite"
    assert CONNECTOR.kind.value == "erp"
    assert CONNECTOR.limits.max_concurrency == 5
    assert CONNECTOR.sandbox == "netsuite"


def test_customer_round_trip(poster: NetSuitePoster, client: NetSuiteClient, ref: Any) -> None:
    customer = documents.customer("DE01", "EUR", "Northwind GmbH")
    internal_id = poster.post_customer(customer)
    record = client.get("customer", internal_id)
    assert record["externalId"] == customer.id
    back = mapping.customer_from_netsuite(record, ref)
    assert back.id == customer.id
    assert back.external_ids == {"netsuite": internal_id}
    assert back.model_dump(exclude={"external_ids", "tax_profile", "contacts"}) == \
        customer.model_dump(exclude={"external_ids", "tax_profile", "contacts"})
    assert [r.value for r in back.tax_profile.registrations] == ["US-123"]
    assert back.billing_contact is not None
    assert back.billing_contact.email == "ap@acme.example"


def test_product_round_trip(poster: NetSuitePoster, client: NetSuiteClient, ref: Any) -> None:
    product = documents.product()
    internal_id = poster.post_product(product)
    record = client.get("serviceSaleItem", internal_id)
    back = mapping.product_from_netsuite("serviceSaleItem", record, ref)
    assert (back.id, back.sku, back.name, back.revenue_category) == \
        (product.id, product.sku, product.name, product.revenue_category)
    # NetSuite has fewer item types than accord has product kinds: the type is what survives
    assert ref.item_type(back.kind.value) == ref.item_type(product.kind.value)


def test_order_to_cash_flow(poster: NetSuitePoster, client: NetSuiteClient, ref: Any,
                            today: date) -> None:
    customer = documents.customer()
    poster.post_customer(customer)
    invoice = documents.invoice(customer.id, today)
    invoice_id = poster.post_invoice(invoice)
    record = client.get("invoice", invoice_id)
    assert record["total"] == Decimal("1085.00")
    back = mapping.invoice_from_netsuite(record, ref, customer_id=customer.id)
    assert back.model_dump(exclude={"external_ids", "amount_paid"}) == \
        invoice.model_dump(exclude={"external_ids", "amount_paid"})

    payment = documents.payment(customer.id, invoice, today, "600.00")
    payment_id = poster.post_payment(payment)
    assert client.get("invoice", invoice_id)["amountRemaining"] == Decimal("485.00")
    paid_back = mapping.payment_from_netsuite(client.get("customerPayment", payment_id), ref,
                                              customer_id=customer.id,
                                              invoice_ids={invoice_id: invoice.id})
    assert (paid_back.id, paid_back.amount, paid_back.allocations) == \
        (payment.id, payment.amount, payment.allocations)

    note = documents.credit_note(invoice, today, "100.00")
    note_id = poster.post_credit_note(note)
    assert client.get("invoice", invoice_id)["amountRemaining"] == Decimal("385.00")
    note_back = mapping.credit_note_from_netsuite(client.get("creditMemo", note_id), ref,
                                                  customer_id=customer.id,
                                                  invoice_id=invoice.id)
    assert note_back.model_dump(exclude={"external_ids", "reason"}) == \
        note.model_dump(exclude={"external_ids", "reason"})

    # the credit was fully applied to the invoice, so there is nothing left to refund
    refund = documents.refund(payment, note, today, "50.00")
    with pytest.raises(DataQualityError) as refused:
        poster.post_refund(refund)
    assert refused.value.owner is Team.FINANCE_OPERATIONS
    open_note = documents.credit_note(invoice, today, "80.00")
    poster.post_credit_note(open_note, apply=False)
    refund = documents.refund(payment, open_note, today, "50.00")
    refund_id = poster.post_refund(refund)
    refund_back = mapping.refund_from_netsuite(client.get("customerRefund", refund_id), ref,
                                               customer_id=customer.id, payment_id=payment.id,
                                               credit_note_id=open_note.id)
    assert (refund_back.id, refund_back.amount) == (refund.id, Money.of("50.00", "USD"))

    entry = documents.journal(today)
    journal_id = poster.post_journal(entry)
    journal_back = mapping.journal_from_netsuite(client.get("journalEntry", journal_id), ref)
    assert journal_back.model_dump(exclude={"external_ids"}) == \
        entry.model_dump(exclude={"external_ids"})


def test_poster_from_settings_reads_the_refdata_file(settings: NetSuiteSettings,
                                                     tmp_path: Any) -> None:
    from accord.connectors.netsuite.refdata import load_refdata

    bundled = load_refdata()
    custom = bundled.model_copy(update={"version": "v2-test"}).model_dump(mode="json")
    path = tmp_path / "refdata.json"
    import json

    path.write_text(json.dumps(custom))
    poster = NetSuitePoster.from_settings(settings.model_copy(update={"refdata_path": path}))
    try:
        assert poster.ref.version == "v2-test"
        assert poster.post_customer(documents.customer())
    finally:
        poster.client.close()


def test_replays_update_instead_of_duplicating(poster: NetSuitePoster, client: NetSuiteClient,
                                               today: date) -> None:
    customer = documents.customer()
    assert poster.post_customer(customer) == poster.post_customer(customer)
    invoice = documents.invoice(customer.id, today)
    first = poster.post_invoice(invoice)
    payment = documents.payment(customer.id, invoice, today, "1085.00")
    poster.post_payment(payment)
    assert poster.post_invoice(invoice) == first
    assert poster.post_payment(payment) == poster.post_payment(payment)
    assert [int(r["n"]) for r in client.suiteql(
        "SELECT COUNT(*) AS n FROM transaction WHERE type = 'CustInvc'")] == [1]
    assert client.get("invoice", first)["status"] == "Paid In Full"


def test_business_rule_failures_are_data_quality_errors_with_owners(
        poster: NetSuitePoster, today: date) -> None:
    german = documents.customer("DE01", "EUR")
    poster.post_customer(german)
    with pytest.raises(DataQualityError) as wrong_subsidiary:
        poster.post_invoice(documents.invoice(german.id, today))
    assert (wrong_subsidiary.value.field, wrong_subsidiary.value.owner) == \
        ("subsidiary", Team.MASTER_DATA)
    with pytest.raises(DataQualityError) as unknown:
        poster.post_invoice(documents.invoice("cus_01J00000000000000000000000", today))
    assert (unknown.value.field, unknown.value.owner) == ("entity", Team.MASTER_DATA)
    customer = documents.customer()
    poster.post_customer(customer)
    closed = today.replace(day=1) - timedelta(days=1)
    with pytest.raises(DataQualityError) as period:
        poster.post_invoice(documents.invoice(customer.id, closed))
    assert (period.value.field, period.value.owner, period.value.status) == \
        ("postingPeriod", Team.FINANCE_OPERATIONS, 400)
    assert "closed" in period.value.reason
    invoice = documents.invoice(customer.id, today)
    poster.post_invoice(invoice)
    with pytest.raises(DataQualityError) as overpaid:
        poster.post_payment(documents.payment(customer.id, invoice, today, "2000.00"))
    assert (overpaid.value.field, overpaid.value.owner) == \
        ("apply.items[0].amount", Team.FINANCE_OPERATIONS)


def test_a_journal_for_a_period_netsuite_lacks_is_refused(poster: NetSuitePoster,
                                                          today: date) -> None:
    far = today.replace(year=today.year + 2, day=1)
    with pytest.raises(DataQualityError) as missing:
        poster.post_journal(documents.journal(far))
    assert (missing.value.field, missing.value.owner) == ("period", Team.FINANCE_OPERATIONS)


def test_unmapped_reference_data_fails_before_any_call(poster: NetSuitePoster, ref: Any,
                                                       today: date) -> None:
    invoice = documents.invoice("cus_01J00000000000000000000000", today)
    bad = invoice.model_copy(update={"lines": (invoice.lines[0].model_copy(
        update={"product_sku": "NOPE"}),)})
    with pytest.raises(DataQualityError) as missing:
        mapping.invoice_to_netsuite(bad, ref)
    assert (missing.value.field, missing.value.owner) == \
        ("lines.0.product_sku", Team.REVENUE_OPERATIONS)
    with pytest.raises(DataQualityError) as entity:
        mapping.invoice_to_netsuite(invoice.model_copy(update={"legal_entity": "FR01"}), ref)
    assert entity.value.field == "legal_entity"


def test_iter_ids_follows_filtered_pages(poster: NetSuitePoster, client: NetSuiteClient) -> None:
    wanted = [poster.post_customer(documents.customer(name=f"Match {i}")) for i in range(5)]
    poster.post_customer(documents.customer(name="Other"))
    assert list(client.iter_ids("customer", page_size=2,
                                query='companyName START_WITH "Match"')) == wanted


def test_duplicate_external_id_on_create_is_a_conflict(client: NetSuiteClient) -> None:
    body = {"companyName": "Dup", "subsidiary": {"id": "1"}, "externalId": "dup-x"}
    client.create("customer", body)
    with pytest.raises(ConflictError):
        client.create("customer", body)


def test_bad_credentials_are_permanent(settings: NetSuiteSettings) -> None:
    wrong = settings.model_copy(update={"token_secret": settings.consumer_secret})
    with NetSuiteClient(wrong) as client, pytest.raises(PermanentError) as refused:
        client.get("subsidiary", "1")
    assert refused.value.status == 401
    assert "Invalid login attempt" in refused.value.message
    assert "accord-sandbox-token-secret" not in str(refused.value.to_record())


def test_outage_is_transient_and_retried_until_it_heals(client: NetSuiteClient,
                                                        control: httpx.Client,
                                                        settings: NetSuiteSettings) -> None:
    now = datetime.fromisoformat(control.get("/clock").json()["now"])
    control.put("/faults", json={"outage_until": (now + timedelta(seconds=30)).isoformat()}
                ).raise_for_status()
    with NetSuiteClient(settings, retry=False) as once, pytest.raises(TransientError) as down:
        once.get("subsidiary", "1")
    assert down.value.status == 503

    def sleep(seconds: float) -> None:  # the back-off moves the sandbox clock instead
        control.post("/clock/advance", json={"seconds": max(seconds, 11)}).raise_for_status()

    with NetSuiteClient(settings, sleep=sleep) as patient:
        assert patient.get("subsidiary", "1")["name"] == "US01"
    control.put("/faults", json={"error_rate": 1.0, "error_status": 502}).raise_for_status()
    with NetSuiteClient(settings, sleep=lambda _s: None) as doomed, \
            pytest.raises(RetriesExhausted) as exhausted:
        doomed.get("subsidiary", "1")
    assert isinstance(exhausted.value.last, TransientError)
    assert exhausted.value.attempts == 6


def test_secrets_stay_out_of_reprs(settings: NetSuiteSettings, client: NetSuiteClient) -> None:
    for text in (repr(settings), str(settings.model_dump()), repr(client),
                 repr(client._http.auth)):
        assert "accord-sandbox-consumer-secret" not in text
        assert "accord-sandbox-token-secret" not in text


def test_probe(settings: NetSuiteSettings) -> None:
    assert CONNECTOR.probe(settings).status.value == "ok"
    assert CONNECTOR.probe(NetSuiteSettings()).status.value == "warning"
    wrong = settings.model_copy(update={"consumer_key": "other"})
    failed = CONNECTOR.probe(wrong)
    assert failed.status.value == "failed"
    assert "credentials" in failed.fix


def test_rate_limited_is_classified(settings: NetSuiteSettings, control: httpx.Client) -> None:
    """A request beyond the account limit while another integration holds the only slot."""
    import threading

    control.put("/faults", json={"concurrency_limit": 1, "latency_ms": 1500}).raise_for_status()
    holder = NetSuiteClient(settings)
    thread = threading.Thread(target=lambda: holder.get("subsidiary", "1"))
    thread.start()
    try:
        for _ in range(10_000):  # until the holder's request is inside the sandbox
            if control.get("/netsuite/governance").json()["in_flight"] == 1:
                break
        with NetSuiteClient(settings, retry=False) as client, \
                pytest.raises(RateLimited) as limited:
            client.get("subsidiary", "2")
        assert limited.value.status == 429
        assert control.get("/netsuite/governance").json()["rejected"] == 1
    finally:
        thread.join()
        holder.close()


def test_reader_returns_canonical_documents_and_balances(poster: NetSuitePoster,
                                                         client: NetSuiteClient, ref: Any,
                                                         today: date) -> None:
    from accord.connectors.netsuite.reading import NetSuiteReader

    reader = NetSuiteReader(client, ref)
    customer = documents.customer()
    customer_id = poster.post_customer(customer)
    first = documents.invoice(customer.id, today, number="INV-A")
    second = documents.invoice(customer.id, today, number="INV-B", amount="200.00",
                               tax="17.00")
    first_id = poster.post_invoice(first)
    poster.post_invoice(second)
    payment = documents.payment(customer.id, first, today, "1085.00")
    payment_id = poster.post_payment(payment)

    assert reader.customer(customer_id).id == customer.id
    assert reader.invoice(first_id).model_dump(exclude={"external_ids", "amount_paid",
                                                        "status"}) == \
        first.model_dump(exclude={"external_ids", "amount_paid", "status"})
    read_payment = reader.payment(payment_id)
    assert (read_payment.id, read_payment.allocations) == (payment.id, payment.allocations)
    balances = reader.invoice_balances([first.id, second.id, "inv_01J00000000000000000000000",
                                        "not-canonical' OR 1=1"])
    assert set(balances) == {first.id, second.id}
    assert (balances[first.id].remaining, balances[first.id].status) == \
        (Money.of("0.00", "USD"), "Paid In Full")
    assert (balances[second.id].total, balances[second.id].remaining) == \
        (Money.of("217.00", "USD"), Money.of("217.00", "USD"))
    created = client.create("customer", {"companyName": "Manual", "subsidiary": {"id": "1"}})
    with pytest.raises(DataQualityError):
        reader.canonical_id("customer", created, "customer_id")
