"""The KEDA ScaledObject for the worker Deployment (pure: a plan in, a document out).

Two kinds of trigger, and the HPA takes the largest:
- **cron** triggers hold the plan's floor: one per run of slots at one replica count above
  the minimum, written as dated crons in `Etc/UTC` (local wedding times were converted in
  Python, so no trigger falls in a DST gap). KEDA's cron scaler is active when the next end
  comes before the next start; a dated cron fires once a year, so the document is good for
  less than a year from its first slot and says when to regenerate it. Runs that ended
  before `now` are left out.
- a **postgresql** trigger whose query returns the workers the live queue needs by the EDF
  bound (`jobs.edf_workers_sql`), with a target of 1 per replica.

The HPA scales up at once (a same-day photo is due in thirty minutes, a pod takes one to
three to start) and down slowly (a stabilisation window longer than a job and a pod's start,
at most a quarter of the pods a minute). If the queue's metric fails, KEDA's fallback keeps
the current replicas when they are higher than the fallback: it never scales down blind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from trousseau.errors import InvalidValue
from trousseau.planning.forecast import Grid

MAX_SPAN = timedelta(days=364)


@dataclass(frozen=True)
class FloorRun:
    start: datetime
    end: datetime
    replicas: int


def floor_runs(grid: Grid, floor: np.ndarray, *, minimum: int, now: datetime) -> list[FloorRun]:
    """Maximal runs of slots at one floor above `minimum` that end after `now`."""
    runs: list[FloorRun] = []
    i = 0
    while i < grid.count:
        j = i
        while j + 1 < grid.count and floor[j + 1] == floor[i]:
            j += 1
        if floor[i] > minimum and grid.at(j + 1) > now:
            runs.append(FloorRun(grid.at(i), grid.at(j + 1), int(floor[i])))
        i = j + 1
    return runs


def _cron(at: datetime) -> str:
    at = at.astimezone(UTC)
    return f"{at.minute} {at.hour} {at.day} {at.month} *"


def scaled_object(
    grid: Grid,
    floor: np.ndarray,
    *,
    now: datetime,
    name: str = "trousseau-worker",
    namespace: str = "trousseau",
    deployment: str = "trousseau-worker",
    min_replicas: int = 5,
    max_replicas: int = 50,
    query: str,
    connection_env: str = "TROUSSEAU_KEDA_POSTGRES",
    scale_down_window: int = 600,
) -> dict[str, object]:
    """The ScaledObject holding the floor and the EDF trigger."""
    if grid.end - grid.start > MAX_SPAN:
        raise InvalidValue(
            f"a ScaledObject covers at most {MAX_SPAN.days} days: its cron triggers are dated "
            "and fire again a year later"
        )
    runs = floor_runs(grid, floor, minimum=min_replicas, now=now)
    triggers: list[dict[str, object]] = [
        {
            "type": "postgresql",
            "name": "edf-queue",
            "metadata": {
                "query": query,
                "targetQueryValue": "1",
                "activationTargetQueryValue": "0",
                "connectionFromEnv": connection_env,
            },
        }
    ]
    for run in runs:
        triggers.append(
            {
                "type": "cron",
                "metadata": {
                    "timezone": "Etc/UTC",
                    "start": _cron(run.start),
                    "end": _cron(run.end),
                    "desiredReplicas": str(run.replicas),
                },
            }
        )
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "annotations": {
                "trousseau.io/plan-from": grid.start.isoformat(),
                "trousseau.io/regenerate-before": grid.end.isoformat(),
            },
        },
        "spec": {
            "scaleTargetRef": {"name": deployment},
            "pollingInterval": 15,
            "cooldownPeriod": 300,
            "minReplicaCount": min_replicas,
            "maxReplicaCount": max_replicas,
            "fallback": {
                "failureThreshold": 3,
                "replicas": max_replicas,
                "behavior": "currentReplicasIfHigher",
            },
            "advanced": {
                "horizontalPodAutoscalerConfig": {
                    "behavior": {
                        "scaleUp": {
                            "stabilizationWindowSeconds": 0,
                            "selectPolicy": "Max",
                            "policies": [
                                {"type": "Percent", "value": 100, "periodSeconds": 15},
                                {"type": "Pods", "value": max_replicas, "periodSeconds": 15},
                            ],
                        },
                        "scaleDown": {
                            "stabilizationWindowSeconds": scale_down_window,
                            "selectPolicy": "Min",
                            "policies": [{"type": "Percent", "value": 25, "periodSeconds": 60}],
                        },
                    }
                }
            },
            "triggers": triggers,
        },
    }
