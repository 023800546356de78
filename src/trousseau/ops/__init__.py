"""Wedding-day operations: the emergency switch (alerting, escalation and readiness come
next).

Vocabulary:

emergency   a switch an operator turns on with a reason: until it is turned off or expires
            (6 hours by default), the workers' floor is raised to the emergency minimum (the
            KEDA queue trigger reads it), every region is at MAXIMUM protection, and
            standard-class jobs wait so same-day work goes first; who, why and when are
            recorded as events
"""

from trousseau.ops.emergency import EmergencyOn, switch_off, switch_on, switch_status

__all__ = ["EmergencyOn", "switch_off", "switch_on", "switch_status"]
