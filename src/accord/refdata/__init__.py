"""Reference data as versioned documents in the store, with approval and rollback.

The bundle (:mod:`.bundle`) holds what the flows translate with: the SKU mapping (ERP items
and so income accounts, list prices), the legal entities (currency, tax), the routing table
and the ownership policy. Version 1 is the shipped files; :mod:`.versions` keeps later
versions, their approvals and activation; :mod:`.changes` says what differs and whether it is
financially material; :mod:`.usage` records which version each ERP posting was mapped under.

The package imports nothing at import time beyond this docstring's modules' names, so the
flows (which read the active version) and this package (which reads the flows' models) do
not import each other in a circle: import the submodules.
"""
