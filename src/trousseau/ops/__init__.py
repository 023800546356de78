"""Wedding-day operations: the emergency switch, the alert rules and routes generated from
settings, certificate expiry, and the readiness of a wedding day.

Vocabulary:

emergency   a switch an operator turns on with a reason: until it is turned off or expires
            (6 hours by default), the workers' floor is raised to the emergency minimum (the
            KEDA queue trigger reads it), every region is at MAXIMUM protection, and
            standard-class jobs wait so same-day work goes first; who, why and when are
            recorded as events
"""

from trousseau.ops.certificates import ExpiryWatch, certificate_expiry
from trousseau.ops.emergency import EmergencyOn, switch_off, switch_on, switch_status
from trousseau.ops.readiness import (
    Check,
    Facts,
    Readiness,
    Status,
    assess,
    gather,
    vault_free_bytes,
)
from trousseau.ops.routes import alertmanager_config, alertmanager_yaml
from trousseau.ops.rules import Thresholds, rule_groups, rules_yaml, thresholds_from

__all__ = [
    "Check",
    "EmergencyOn",
    "ExpiryWatch",
    "Facts",
    "Readiness",
    "Status",
    "Thresholds",
    "alertmanager_config",
    "alertmanager_yaml",
    "assess",
    "certificate_expiry",
    "gather",
    "rule_groups",
    "rules_yaml",
    "switch_off",
    "switch_on",
    "switch_status",
    "thresholds_from",
    "vault_free_bytes",
]
