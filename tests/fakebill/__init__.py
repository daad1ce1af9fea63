"""FakeBill: a small subscription-billing vendor that is not accord's - its own HTTP API
(``app.py``) - and the connector package that makes it accord's billing system
(``connector/``), wired in through ``accord.toml`` alone. It is the proof that adding a
system is adding one package (``docs/connectors.md``, Adding a system)."""
