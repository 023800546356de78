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

All of it is pure (values in, values out) but `sources`, which reads files and the catalog,
and `plot`, which draws a PNG.
"""

from trousseau.planning.calendar import PlannedWedding, from_csv, from_ical, to_csv
from trousseau.planning.calibrate import Calibration, History, calibrate_factors
from trousseau.planning.capacity import (
    CapacityPlan,
    Demand,
    PlanInfeasible,
    edf_misses,
    plan_capacity,
)
from trousseau.planning.compare import Comparison, Planned, compare_policies, make_plan
from trousseau.planning.factors import LoadFactors, factors_from_mapping, factors_to_toml
from trousseau.planning.forecast import Forecast, Grid, expected_photos, forecast
from trousseau.planning.keda import scaled_object
from trousseau.planning.plot import plot_busiest_day
from trousseau.planning.sample import peak_month
from trousseau.planning.simulate import Arrivals, Cluster, Outcome, simulate
from trousseau.planning.sources import (
    ScalingRequest,
    catalog_calendar,
    catalog_history,
    day_plan,
    load_factors,
    plan_with_settings,
    read_calendar,
    request_scaling,
    scaling_requests,
)

__all__ = [
    "Arrivals",
    "Calibration",
    "CapacityPlan",
    "Cluster",
    "Comparison",
    "Demand",
    "Forecast",
    "Grid",
    "History",
    "LoadFactors",
    "Outcome",
    "PlanInfeasible",
    "Planned",
    "PlannedWedding",
    "ScalingRequest",
    "calibrate_factors",
    "catalog_calendar",
    "catalog_history",
    "compare_policies",
    "day_plan",
    "edf_misses",
    "expected_photos",
    "factors_from_mapping",
    "factors_to_toml",
    "forecast",
    "from_csv",
    "from_ical",
    "load_factors",
    "make_plan",
    "peak_month",
    "plan_capacity",
    "plan_with_settings",
    "plot_busiest_day",
    "read_calendar",
    "request_scaling",
    "scaled_object",
    "scaling_requests",
    "simulate",
    "to_csv",
]
