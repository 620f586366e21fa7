import math

import pytest

from gis.coords import (
    CoordinateError,
    bd09_to_gcj02,
    check_point,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_gcj02,
)
from gis.geodesy import distance_m


@pytest.mark.parametrize(
    ("wgs", "gcj"),
    [
        ((116.397428, 39.90923), (116.40367, 39.91063)),
        ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ],
)
def test_forward_gcj02_matches_published_vectors(wgs, gcj):
    lon, lat = wgs84_to_gcj02(*wgs)
    assert distance_m(lon, lat, *gcj) < 0.6


@pytest.mark.parametrize("point", [(116.397428, 39.90923), (114.62, 31.29), (87.6, 43.8), (109.5, 18.25)])
def test_gcj02_inverse_reaches_millimetres(point):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(*point))
    assert distance_m(*point, *back) < 0.005


def test_iteration_beats_the_one_step_inverse():
    point = (121.5272106, 31.1774276)
    glon, glat = wgs84_to_gcj02(*point)
    slon, slat = wgs84_to_gcj02(glon, glat)
    one_step = (glon - (slon - glon), glat - (slat - glat))  # subtract the shift measured at the GCJ point
    assert distance_m(*point, *one_step) > 0.05
    assert distance_m(*point, *gcj02_to_wgs84(glon, glat)) < 0.005


def test_bd09_round_trip():
    g = (116.40367, 39.91063)
    back = bd09_to_gcj02(*gcj02_to_bd09(*g))
    assert distance_m(*g, *back) < 0.01
    assert distance_m(*g, *gcj02_to_bd09(*g)) > 500  # Baidu's offset is large


def test_outside_china_no_shift():
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


@pytest.mark.parametrize("crs", ["wgs84", "cgcs2000", "gcj02", "bd09"])
def test_to_and_from_wgs84_are_inverse(crs):
    p = (114.62, 31.29)
    back = to_wgs84(*from_wgs84(*p, crs), crs)
    assert distance_m(*p, *back) < 0.01


def test_unknown_crs_refused():
    with pytest.raises(CoordinateError) as exc:
        to_wgs84(114.6, 31.3, "beijing54")
    assert exc.value.field == "crs"


def test_check_point_accepts_numbers_and_numeric_strings():
    assert check_point("114.6", 31.3) == (114.6, 31.3)


def test_swapped_pair_is_named():
    with pytest.raises(CoordinateError) as exc:
        check_point(31.3, 114.6)
    assert exc.value.field == "longitude"
    assert "swapped" in exc.value.reason


@pytest.mark.parametrize(
    ("lon", "lat", "field", "words"),
    [
        (2.35, 48.85, "longitude", "outside China"),
        (114.6, 60.0, "latitude", "outside China"),
        ("abc", 31.3, "longitude", "number"),
        (114.6, None, "latitude", "number"),
        (math.nan, 31.3, "longitude", "finite"),
        (True, 31.3, "longitude", "number"),
    ],
)
def test_bad_points_name_field_and_reason(lon, lat, field, words):
    with pytest.raises(CoordinateError) as exc:
        check_point(lon, lat)
    assert exc.value.field == field
    assert words in exc.value.reason
