"""Load factors as values: how many photos a wedding brings and when they arrive (pure: the
data file's mapping in, values out; `sources` reads the file)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trousseau.errors import SettingsError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class LoadFactors:
    seconds_per_photo: float
    photos_per_guest: float
    default_guests: int
    photo_count_cv: float
    plan_percentile: float
    culture: Mapping[str, float]
    season: Mapping[int, float]
    """Month (1-12) -> multiplier."""
    weekday: Mapping[int, float]
    """Weekday (0 Monday) -> multiplier."""
    arrivals: Mapping[int, float]
    """Hour from the ceremony's start -> share of the wedding's photos (sums to 1)."""

    def culture_factor(self, culture: str) -> float:
        return self.culture.get(culture.lower(), self.culture.get("other", 1.0))


def _number(data: Mapping[str, Any], key: str, source: str, *, positive: bool = True) -> float:
    try:
        value = float(data[key])
    except KeyError:
        raise SettingsError(f"{source}: {key} is missing") from None
    except (TypeError, ValueError):
        raise SettingsError(f"{source}: {key} = {data[key]!r} is not a number") from None
    if positive and value <= 0:
        raise SettingsError(f"{source}: {key} must be above 0 (got {value})")
    return value


def _table(data: Mapping[str, Any], key: str, source: str) -> dict[str, float]:
    table = data.get(key)
    if not isinstance(table, Mapping):
        raise SettingsError(f"{source}: [{key}] is missing")
    out: dict[str, float] = {}
    for name, value in table.items():
        try:
            out[str(name)] = float(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{source}: [{key}] {name} = {value!r} is not a number") from None
        if out[str(name)] < 0:
            raise SettingsError(f"{source}: [{key}] {name} is negative")
    return out


def factors_from_mapping(
    data: Mapping[str, Any], *, source: str = "the load factors"
) -> LoadFactors:
    """Load factors from the data file's contents; SettingsError naming the entry otherwise."""
    percentile = _number(data, "plan_percentile", source)
    if not 0.5 <= percentile < 1:
        raise SettingsError(
            f"{source}: plan_percentile must be from 0.5 to below 1 (got {percentile})"
        )
    season = {int(k): v for k, v in _table(data, "season", source).items()}
    if set(season) != set(range(1, 13)):
        raise SettingsError(f"{source}: [season] must give every month 1 to 12")
    weekdays = _table(data, "weekday", source)
    unknown = set(weekdays) - set(WEEKDAYS)
    if unknown or len(weekdays) != 7:
        raise SettingsError(f"{source}: [weekday] must give monday to sunday")
    arrivals = {int(k): v for k, v in _table(data, "arrivals", source).items()}
    total = sum(arrivals.values())
    if not arrivals or total <= 0:
        raise SettingsError(f"{source}: [arrivals] must give some hour a share")
    return LoadFactors(
        seconds_per_photo=_number(data, "seconds_per_photo", source),
        photos_per_guest=_number(data, "photos_per_guest", source),
        default_guests=int(_number(data, "default_guests", source)),
        photo_count_cv=_number(data, "photo_count_cv", source, positive=False),
        plan_percentile=percentile,
        culture={k.lower(): v for k, v in _table(data, "culture", source).items()},
        season=season,
        weekday={WEEKDAYS.index(k): v for k, v in weekdays.items()},
        arrivals={h: share / total for h, share in sorted(arrivals.items())},
    )


def factors_to_toml(factors: LoadFactors) -> str:
    """The factors as the data file reads them (to keep a calibration)."""
    lines = [
        f"seconds_per_photo = {factors.seconds_per_photo!r}",
        f"photos_per_guest = {factors.photos_per_guest!r}",
        f"default_guests = {factors.default_guests}",
        f"photo_count_cv = {factors.photo_count_cv!r}",
        f"plan_percentile = {factors.plan_percentile!r}",
        "",
        "[culture]",
        *(f"{name} = {value!r}" for name, value in factors.culture.items()),
        "",
        "[season]",
        *(f"{month} = {value!r}" for month, value in sorted(factors.season.items())),
        "",
        "[weekday]",
        *(f"{WEEKDAYS[day]} = {value!r}" for day, value in sorted(factors.weekday.items())),
        "",
        "[arrivals]",
        *(f"{hour} = {share!r}" for hour, share in sorted(factors.arrivals.items())),
    ]
    return "\n".join(lines) + "\n"
