"""The geohash encoder and the coarse cells of the coarsened history: every coarse cell is at least 1 km^2."""

from __future__ import annotations

import math
import random

import pytest

from core.domain import geohash
from core.domain.job_sites import geohash as job_site_geohash

LATITUDES = (0.0, 12.5, 45.0, 60.0, 70.0, 80.0, 87.6, 88.5, 89.9, -45.0, -70.0, -89.99)


def test_known_geohashes() -> None:
    # Published examples: 42.6, -5.6 is ezs42; 57.64911, 10.40744 is u4pruydqqvj.
    assert geohash.encode(42.6, -5.6, 5) == "ezs42"
    assert geohash.encode(57.64911, 10.40744, 11) == "u4pruydqqvj"
    cell = geohash.decode("ezs42")
    assert cell.south <= 42.6 < cell.north and cell.west <= -5.6 < cell.east


def test_agrees_with_the_job_sites_buckets() -> None:
    rng = random.Random(5)
    for _ in range(500):
        lat, lon = rng.uniform(-89.9, 89.9), rng.uniform(-180, 179.99)
        assert geohash.encode(lat, lon, 5) == job_site_geohash(lat, lon, 5)


def test_decode_encode_round_trip_and_bad_input() -> None:
    rng = random.Random(6)
    for _ in range(200):
        lat, lon, p = rng.uniform(-90, 90), rng.uniform(-180, 180), rng.randint(1, 9)
        cell = geohash.decode(geohash.encode(lat, lon, p))
        assert cell.south <= lat <= cell.north and cell.west <= lon <= cell.east
        assert geohash.encode(*cell.centre, p) == cell.geohash
    for bad in ("", "ab!", "a"):
        with pytest.raises(ValueError):
            geohash.decode(bad)
    with pytest.raises(ValueError):
        geohash.encode(91, 0, 5)


def test_precision_5_cell_area_by_latitude() -> None:
    """4.89 km x 4.89 km at the equator; the width shrinks with cos(latitude)."""
    at_equator = geohash.decode(geohash.encode(0.01, 0.01, 5)).area_km2
    assert 23.5 < at_equator < 24.2
    for lat in (45.0, 60.0, 70.0):
        cell = geohash.decode(geohash.encode(lat, 10.0, 5))
        assert cell.area_km2 == pytest.approx(at_equator * math.cos(math.radians(lat)), rel=0.01)


@pytest.mark.parametrize("lat", LATITUDES)
def test_every_coarse_cell_is_at_least_1_km2(lat: float) -> None:
    rng = random.Random(int(lat * 100))
    for _ in range(200):
        la = max(-90.0, min(90.0, lat + rng.uniform(-0.05, 0.05)))
        cell = geohash.coarse_cell(la, rng.uniform(-180, 180))
        assert cell.area_km2 >= geohash.MIN_CELL_KM2
        assert cell.south <= la <= cell.north


def test_precision_5_up_to_87_6_degrees_coarser_above() -> None:
    for lat in (0.0, 45.0, 60.0, 70.0, 80.0, 87.5, -87.5):
        assert len(geohash.coarse_cell(lat, 20.0).geohash) == 5
    for lat in (87.8, 89.9, -89.9):
        cell = geohash.coarse_cell(lat, 20.0)
        assert len(cell.geohash) < 5 and cell.area_km2 >= 1.0
        # the precision-5 cell there would be too small: that is why a coarser one is taken
        assert geohash.decode(geohash.encode(lat, 20.0, 5)).area_km2 < 1.0


def test_half_diagonal_covers_the_cell() -> None:
    cell = geohash.coarse_cell(44.98, -93.27)
    lat, lon = cell.centre
    assert geohash.distance_m(lat, lon, cell.north, cell.east) <= cell.half_diagonal_m
    assert 2_500 < cell.half_diagonal_m < 3_500
