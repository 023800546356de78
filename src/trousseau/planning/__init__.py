"""Planning: the wedding calendar drives capacity, cost and Kubernetes scaling.

Vocabulary:

calendar     weddings with their date, local ceremony time, zone, region, culture, guests,
             expected photos and delivery SLA (from the catalog, CSV or iCalendar)
factors      how many photos a wedding brings (guests, culture, season, weekday) and when
             they arrive (shares per hour from the ceremony); one data file
forecast     photos arriving per slot, per SLA class and region, with bands; plans use an
             upper percentile, never the mean
demand       worker-seconds released per slot and class, each class with a window of slots
plan         workers per slot meeting every deadline under EDF at the least worker-hours
             (an LP with interval constraints, solved by HiGHS)
floor        the plan raised by the pod start lead time: what KEDA's cron triggers ask for
simulation   a month of arrivals, the EDF queue and pods that start slowly and fail, under
             the fixed, reactive and predictive policies, against the clairvoyant plan

All of it is pure (values in, values out); `sources` reads files and the catalog.
"""

from trousseau.planning.calendar import PlannedWedding, from_csv, from_ical, to_csv
from trousseau.planning.capacity import (
    CapacityPlan,
    Demand,
    PlanInfeasible,
    edf_misses,
    plan_capacity,
)
from trousseau.planning.compare import Comparison, Planned, compare, make_plan
from trousseau.planning.factors import LoadFactors, factors_from_mapping
from trousseau.planning.forecast import Forecast, Grid, expected_photos, forecast
from trousseau.planning.simulate import Arrivals, Cluster, Outcome, simulate

__all__ = [
    "Arrivals",
    "CapacityPlan",
    "Cluster",
    "Comparison",
    "Demand",
    "Forecast",
    "Grid",
    "LoadFactors",
    "Outcome",
    "PlanInfeasible",
    "Planned",
    "PlannedWedding",
    "compare",
    "edf_misses",
    "expected_photos",
    "factors_from_mapping",
    "forecast",
    "from_csv",
    "from_ical",
    "make_plan",
    "plan_capacity",
    "simulate",
    "to_csv",
]
