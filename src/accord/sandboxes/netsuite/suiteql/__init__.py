"""A SuiteQL subset over the sandbox's records.

Supported: ``SELECT [DISTINCT] <columns | * | COUNT(*)> FROM <table> [alias]`` with any number
of ``[INNER | LEFT [OUTER]] JOIN <table> [alias] ON <condition>``, ``WHERE`` with ``AND``,
``OR``, ``NOT``, parentheses, ``= <> != < <= > >=``, ``IS [NOT] NULL``, ``[NOT] IN (...)``,
``[NOT] LIKE``, ``BETWEEN``, and ``ORDER BY <expr> [ASC | DESC]``. Functions: ``TO_CHAR``,
``TO_DATE``, ``TO_TIMESTAMP`` (formats ``YYYY MM DD HH24 MI SS FF``), ``UPPER``, ``LOWER``,
``NVL``/``COALESCE``, ``BUILTIN.DF`` (display name of a reference).

Tables: one per record type (``customer``, ``subsidiary``, ``currency``, ``account``,
``accountingperiod``, ``term``, ``department``, ``classification``, ``location``), ``item``
(all item types, ``itemtype``), ``transaction`` (all transaction types, ``type`` such as
``CustInvc``, ``recordtype`` such as ``invoice``) and ``transactionline``. Columns are the
record's field names in lower case. Values come back as strings (dates and datetimes in ISO
8601), and null columns are left out, as SuiteQL does over REST.
"""

from accord.sandboxes.netsuite.suiteql.evaluate import run
from accord.sandboxes.netsuite.suiteql.parser import Query, parse, tokenize
from accord.sandboxes.netsuite.suiteql.tables import tables

__all__ = ["Query", "parse", "run", "tables", "tokenize"]
