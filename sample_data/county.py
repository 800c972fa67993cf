"""Facts about the sample county (九江市柴桑区) and points inside or outside its bounding box."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

PROVINCE = "江西省"
CITY = "九江市"
COUNTY = "柴桑区"
ADDRESS_PREFIX = f"{PROVINCE}{CITY}{COUNTY}"
COUNTY_CODE = "360404"
LEGACY_COUNTY_CODE = "360421"
OTHER_CITY_AREA_CODES = ("360402", "360403", "360423", "360424", "360425", "360426", "360428", "360481")

LON_MIN, LON_MAX = 115.55, 116.25
LAT_MIN, LAT_MAX = 29.45, 29.95


@dataclass(frozen=True, slots=True)
class Town:
    """A town or sub-district (乡镇/街道) with its share of residents and whether it is urban."""

    name: str
    code: int
    weight: int
    urban: bool


TOWNS = (
    Town("沙河街镇", 1, 22, True),
    Town("港口街镇", 2, 12, True),
    Town("狮子街道", 3, 14, True),
    Town("新合镇", 4, 7, False),
    Town("马回岭镇", 5, 8, False),
    Town("江洲镇", 6, 6, False),
    Town("城子镇", 7, 8, False),
    Town("永安乡", 8, 6, False),
    Town("涌泉乡", 9, 6, False),
    Town("新塘乡", 10, 5, False),
    Town("岷山乡", 11, 6, False),
)


def in_county_bbox(lon: float, lat: float) -> bool:
    """Tell whether a WGS84 point lies inside the county's bounding box."""
    return LON_MIN <= lon <= LON_MAX and LAT_MIN <= lat <= LAT_MAX


def point_inside(rng: Random) -> tuple[float, float]:
    """Draw a point inside the county's bounding box, rounded to 6 decimals."""
    lon = round(LON_MIN + 0.01 + rng.random() * (LON_MAX - LON_MIN - 0.02), 6)
    lat = round(LAT_MIN + 0.01 + rng.random() * (LAT_MAX - LAT_MIN - 0.02), 6)
    return lon, lat


def point_outside(rng: Random) -> tuple[float, float]:
    """Draw a valid WGS84 point elsewhere in China, outside the county's bounding box."""
    while True:
        lon = round(110.0 + rng.random() * 12.0, 6)
        lat = round(24.0 + rng.random() * 11.0, 6)
        if not in_county_bbox(lon, lat):
            return lon, lat
