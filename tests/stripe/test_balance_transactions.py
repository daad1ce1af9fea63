"""Balance transactions: a charge reports the processing fee Stripe keeps, as Stripe does
(``fee``, ``fee_details`` of type ``stripe_fee``, ``net``); a refund reports its own."""

from __future__ import annotations

import stripe


def _paid_charge(client: stripe.StripeClient, amount: int, currency: str) -> stripe.Charge:
    customer = client.v1.customers.create(params={"name": "Fee Payer"})
    intent = client.v1.payment_intents.create(params={
        "amount": amount, "currency": currency, "customer": customer.id,
        "payment_method": "pm_card_visa", "confirm": True})
    assert intent.latest_charge is not None
    return client.v1.charges.retrieve(str(intent.latest_charge),
                                      params={"expand": ["balance_transaction"]})


def test_a_usd_charge_reports_its_processing_fee(client: stripe.StripeClient) -> None:
    charge = _paid_charge(client, 12_345, "usd")
    txn = charge.balance_transaction
    assert isinstance(txn, stripe.BalanceTransaction)
    assert txn.id.startswith("txn_")
    assert txn.type == "charge"
    assert txn.source == charge.id
    assert txn.amount == 12_345
    assert txn.currency == "usd"
    fee = 358 + 30  # 2.9 % of 123.45 = 3.58 (rounded half up) + 0.30
    assert txn.fee == fee
    assert txn.net == 12_345 - fee
    assert [(d.type, d.amount, d.currency) for d in txn.fee_details] == [
        ("stripe_fee", fee, "usd")]
    assert client.v1.balance_transactions.retrieve(txn.id).fee == fee


def test_a_eur_charge_is_charged_the_eur_pricing(client: stripe.StripeClient) -> None:
    charge = _paid_charge(client, 10_000, "eur")
    txn = client.v1.balance_transactions.retrieve(str(charge.balance_transaction.id))
    assert (txn.fee, txn.net) == (150 + 25, 10_000 - 175)


def test_a_refund_moves_money_back_without_a_fee(client: stripe.StripeClient) -> None:
    charge = _paid_charge(client, 5_000, "usd")
    refund = client.v1.refunds.create(params={"charge": charge.id, "amount": 2_000})
    txn = client.v1.balance_transactions.retrieve(str(refund.balance_transaction))
    assert (txn.type, txn.amount, txn.fee, txn.net, txn.source) == (
        "refund", -2_000, 0, -2_000, refund.id)
    listed = client.v1.balance_transactions.list(params={"source": charge.id}).data
    assert [t.type for t in listed] == ["charge"]


def test_a_declined_charge_has_no_balance_transaction(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"name": "Declined"})
    try:
        client.v1.payment_intents.create(params={
            "amount": 1_000, "currency": "usd", "customer": customer.id,
            "payment_method": "pm_card_chargeDeclined", "confirm": True})
    except stripe.CardError as error:
        charge_id = error.json_body["error"]["charge"]  # type: ignore[index]
    else:  # pragma: no cover
        raise AssertionError("the card should decline")
    assert client.v1.charges.retrieve(charge_id).balance_transaction is None
