"""Protection: no deploy while a wedding is live, right to the second in every time zone.

Vocabulary:

level       NORMAL (deploys allowed), HIGH (need an approval), MAXIMUM (denied); the highest
            rule that applies at an instant wins
region      a configured name mapped to an IANA zone, or an IANA zone itself
window      a recurring local wall-clock window, half-open [start, end), on weekdays (and
            months); evaluated on the instant's local time, so it follows DST
wedding     raises its region around its ceremony (MAXIMUM from 2 h before to 12 h after,
            HIGH from 24 h before)
freeze      a one-off [from, to) at a level, per region or global, environment and service
decision    the level at an instant, every reason for it, and the next allowed instant
timeline    contiguous [start, end) intervals of a range, each at one level for one set of
            reasons

override    an emergency exemption for one environment and service: requested by one person,
            approved by a second, time-limited, revocable
audit       every decision and override action, hash-chained so a changed or removed entry
            is detected

`policy` holds the values and reads the data file's mapping; `evaluate` answers, `overrides`
and `audit` hold the two-person rule and the hash chain (all pure); `files` reads the data
file and the calendar, `ledger` stores overrides and the audit log (I/O).
"""

from trousseau.freeze.audit import GENESIS, Action, AuditEntry, ChainReport
from trousseau.freeze.evaluate import HORIZON, Evaluator, RegionStatus, decide, regional
from trousseau.freeze.exports import MAX_HORIZON, argocd_project, github_step, gitlab_document
from trousseau.freeze.exports import Plan as ExportPlan
from trousseau.freeze.exports import plan as export_plan
from trousseau.freeze.files import DEFAULT_POLICY, load_policy, protection_now, with_calendar
from trousseau.freeze.ledger import Ledger
from trousseau.freeze.levels import Decision, Interval, Level, Reason
from trousseau.freeze.overrides import MAX_DURATION, Override, OverrideState
from trousseau.freeze.policy import (
    CalendarWedding,
    Freeze,
    Policy,
    Scope,
    WeddingRule,
    Window,
    ceremony_instant,
    policy_from_mapping,
)

__all__ = [
    "DEFAULT_POLICY",
    "GENESIS",
    "HORIZON",
    "MAX_DURATION",
    "MAX_HORIZON",
    "Action",
    "AuditEntry",
    "CalendarWedding",
    "ChainReport",
    "Decision",
    "Evaluator",
    "ExportPlan",
    "Freeze",
    "Interval",
    "Ledger",
    "Level",
    "Override",
    "OverrideState",
    "Policy",
    "Reason",
    "RegionStatus",
    "Scope",
    "WeddingRule",
    "Window",
    "argocd_project",
    "ceremony_instant",
    "decide",
    "export_plan",
    "github_step",
    "gitlab_document",
    "load_policy",
    "policy_from_mapping",
    "protection_now",
    "regional",
    "with_calendar",
]
