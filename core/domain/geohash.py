"""Geohash cells (base-32, interleaved longitude/latitude bits) and the coarse cell of the coarsened history.

Pure: no I/O. A geohash of precision p splits the world into cells whose longitude span is 360 / 2^ceil(5p/2)
degrees and latitude span 180 / 2^floor(5p/2) degrees (precision 5: about 0.044 x 0.044 degrees, 4.9 km x 4.9 km
at the equator). The area of a cell on a sphere of radius R is R^2 * dLon * (sin(lat_north) - sin(lat_south)),
so a cell shrinks with cos(latitude): precision 5 (about 24 km^2 at the equator, 17 at 45 degrees, 8.2 at 70) is at
least 1 km^2 up to about 87.6 degrees, and smaller nearer the poles. `coarse_cell` therefore takes the finest precision, at most `COARSE_PRECISION`, whose cell holding the
point is at least `MIN_CELL_KM2`; that is precision 5 below about 87.6 degrees and precision 4 above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
COARSE_PRECISION = 5
MIN_CELL_KM2 = 1.0  # California's "precise geolocation": within a circle of 1,850 feet, about 1 km^2


@dataclass(frozen=True)
class Cell:
    geohash: str
    south: float
    north: float
    west: float
    east: float

    @property
    def centre(self) -> tuple[float, float]:
        return (self.south + self.north) / 2, (self.west + self.east) / 2

    @property
    def area_km2(self) -> float:
        d_lon = math.radians(self.east - self.west)
        return EARTH_RADIUS_KM**2 * d_lon * (math.sin(math.radians(self.north)) - math.sin(math.radians(self.south)))

    @property
    def half_diagonal_m(self) -> float:
        """Distance from the centre to the farthest corner (the coarse point's horizontal accuracy)."""
        lat, lon = self.centre
        return max(distance_m(lat, lon, a, b) for a in (self.south, self.north) for b in (self.west, self.east))


def encode(lat: float, lon: float, precision: int) -> str:
    """The geohash of a point. Latitude 90 and longitude 180 fall in the last cell (half-open intervals)."""
    if not 1 <= precision <= 12:
        raise ValueError("precision must be between 1 and 12")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("latitude must be within [-90, 90] and longitude within [-180, 180]")
    return _encode(float(lat), float(lon), precision)


@lru_cache(maxsize=16384)
def _encode(lat: float, lon: float, precision: int) -> str:
    """The bisection itself, memoised: the pings writer evaluates a member's whole day again for each message
    (job-site visits), so the same fixes are encoded many times; a profile of the writer showed this encoder as its
    largest CPU cost. About 16,000 cells of a few hundred bytes each stay in memory at most."""
    lat_lo, lat_hi, lon_lo, lon_hi = -90.0, 90.0, -180.0, 180.0
    chars: list[str] = []
    bits, value, even = 0, 0, True
    while len(chars) < precision:
        if even:
            mid = (lon_lo + lon_hi) / 2
            bit = 1 if lon >= mid else 0
            lon_lo, lon_hi = (mid, lon_hi) if bit else (lon_lo, mid)
        else:
            mid = (lat_lo + lat_hi) / 2
            bit = 1 if lat >= mid else 0
            lat_lo, lat_hi = (mid, lat_hi) if bit else (lat_lo, mid)
        value = (value << 1) | bit
        bits += 1
        even = not even
        if bits == 5:
            chars.append(BASE32[value])
            bits, value = 0, 0
    return "".join(chars)


def decode(geohash: str) -> Cell:
    """The cell a geohash names."""
    if not geohash:
        raise ValueError("a geohash has at least one character")
    lat_lo, lat_hi, lon_lo, lon_hi = -90.0, 90.0, -180.0, 180.0
    even = True
    for char in geohash:
        index = BASE32.find(char)
        if index < 0:
            raise ValueError(f"not a geohash character: {char!r}")
        for shift in range(4, -1, -1):
            bit = (index >> shift) & 1
            if even:
                mid = (lon_lo + lon_hi) / 2
                lon_lo, lon_hi = (mid, lon_hi) if bit else (lon_lo, mid)
            else:
                mid = (lat_lo + lat_hi) / 2
                lat_lo, lat_hi = (mid, lat_hi) if bit else (lat_lo, mid)
            even = not even
    return Cell(geohash=geohash, south=lat_lo, north=lat_hi, west=lon_lo, east=lon_hi)


def coarse_cell(lat: float, lon: float) -> Cell:
    """The coarse cell holding a point: precision 5, or coarser where a precision-5 cell is under 1 km^2."""
    for precision in range(COARSE_PRECISION, 0, -1):
        cell = decode(encode(lat, lon, precision))
        if cell.area_km2 >= MIN_CELL_KM2:
            return cell
    raise AssertionError("a precision-1 cell is always larger than 1 km^2")  # pragma: no cover


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * 1000 * math.asin(min(1.0, math.sqrt(h)))
