"""Revenue schedules and recognition (``docs/revenue.md``): each deferred invoice line's
schedule (:mod:`.schedules`, planned by :mod:`.planning`), kept in the store
(:mod:`.book`), recognized into the ERP one journal per period, legal entity and currency
(:mod:`.recognition`). Speaks of roles only."""

from accord.revenue.planning import Share, apportion, point_in_time, ratable, replan
from accord.revenue.recognition import (
    RecognitionError,
    RecognitionRun,
    Recognized,
    journal_id_for,
    recognize,
)
from accord.revenue.schedules import PlannedSchedule, line_accounts, plan_invoice

__all__ = ["PlannedSchedule", "RecognitionError", "RecognitionRun", "Recognized", "Share",
           "apportion", "journal_id_for", "line_accounts", "plan_invoice", "point_in_time",
           "ratable", "recognize", "replan"]
