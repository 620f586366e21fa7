"""CGCS2000 and its Gauss-Krüger zones, checked against figures published by others.

- EPSG Guidance Note 7-2 (IOGP), Transverse Mercator worked example: OSGB 1936
  / British National Grid, 50°30'N 0°30'E -> E 577274.99 m, N 69740.50 m. The
  same method (EPSG 9807) defines every CGCS2000 Gauss-Krüger zone.
- Moritz, "Geodetic Reference System 1980": meridian quadrant 10 001 965.7293 m.
  CGCS2000's ellipsoid has GRS80's a and f, and a Gauss-Krüger zone has scale 1,
  so the pole on the central meridian lies at that northing.
- The EPSG registry's zone parameters (e.g. EPSG:4528 zone 40: CM 120E, false
  easting 40 500 000; EPSG:4545: CM 108E, false easting 500 000).
"""

import pytest

from gis.crs import (
    CrsError,
    epsg_of,
    from_wgs84,
    gauss_kruger_epsg,
    require_crs,
    resolve_crs,
    to_wgs84,
    zone_of,
)

# What ArcGIS writes into the .prj of a CGCS2000 3-degree zone 38 shapefile: no EPSG code in it.
ESRI_PRJ_ZONE_38 = (
    'PROJCS["CGCS2000_3_Degree_GK_Zone_38",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",'
    'DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",38500000.0],'
    'PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)


def test_transverse_mercator_matches_the_epsg_guidance_note_example():
    lon, lat = to_wgs84([577274.99], [69740.50], resolve_crs("EPSG:27700"))
    # EPSG:27700 is on OSGB36; to_wgs84 shifts the datum, so compare the pure projection too.
    from pyproj import Transformer

    e, n = Transformer.from_crs(4277, 27700, always_xy=True).transform(0.5, 50.5)
    assert e == pytest.approx(577274.99, abs=0.01) and n == pytest.approx(69740.50, abs=0.01)
    assert abs(lon[0] - 0.5) < 0.01 and abs(lat[0] - 50.5) < 0.01  # OSGB36 -> WGS84 is about 100 m


@pytest.mark.parametrize("epsg", [4526, 4547, 4497, 4509])
def test_the_pole_on_the_central_meridian_is_one_grs80_meridian_quadrant_north(epsg):
    crs = resolve_crs(epsg)
    width, meridian, zone = zone_of(epsg)
    xs, ys = from_wgs84([meridian, meridian], [90.0, 0.0], crs)
    false_easting = (zone or 0) * 1_000_000 + 500_000
    assert ys[0] == pytest.approx(10_001_965.7293, abs=0.001)
    assert xs[1] == pytest.approx(false_easting, abs=1e-6) and ys[1] == pytest.approx(0, abs=1e-6)


@pytest.mark.parametrize(("kwargs", "epsg", "name"), [
    ({"zone_width": 3, "zone": 40}, 4528, "CGCS2000 / 3-degree Gauss-Kruger zone 40"),
    ({"zone_width": 3, "central_meridian": 108}, 4545, "CGCS2000 / 3-degree Gauss-Kruger CM 108E"),
    ({"zone_width": 3, "zone": 25}, 4513, "CGCS2000 / 3-degree Gauss-Kruger zone 25"),
    ({"zone_width": 3, "central_meridian": 135}, 4554, "CGCS2000 / 3-degree Gauss-Kruger CM 135E"),
    ({"zone_width": 6, "zone": 13}, 4491, "CGCS2000 / Gauss-Kruger zone 13"),
    ({"zone_width": 6, "central_meridian": 135}, 4512, "CGCS2000 / Gauss-Kruger CM 135E"),
])
def test_zone_codes_are_the_registry_s(kwargs, epsg, name):
    assert gauss_kruger_epsg(**kwargs) == epsg
    assert resolve_crs(epsg).name == name


def test_every_code_from_4491_to_4554_is_a_cgcs2000_transverse_mercator_zone():
    for epsg in range(4491, 4555):
        crs = resolve_crs(epsg)
        width, meridian, zone = zone_of(epsg)
        params = {p.name: p.value for p in crs.coordinate_operation.params}
        assert crs.datum.name == "China 2000"
        assert params["Longitude of natural origin"] == meridian
        assert params["False easting"] == (zone or 0) * 1_000_000 + 500_000
        assert params["Scale factor at natural origin"] == 1


def test_a_prj_without_an_epsg_code_is_recognised_and_a_declared_crs_wins():
    assert epsg_of(resolve_crs(prj=ESRI_PRJ_ZONE_38)) == 4526
    assert epsg_of(resolve_crs("EPSG:4547", prj=ESRI_PRJ_ZONE_38)) == 4547
    assert epsg_of(resolve_crs("cgcs2000")) == 4490 and epsg_of(resolve_crs("4490")) == 4490


def test_a_projected_file_without_a_crs_is_refused_with_a_message_that_says_so():
    with pytest.raises(CrsError) as caught:
        require_crs(None, [38_414_000.0], [3_465_000.0])
    assert caught.value.field == "crs"
    assert "no .prj" in caught.value.reason and "declare" in caught.value.reason
    with pytest.raises(CrsError, match="crs: the file names no coordinate system"):
        resolve_crs(None, prj=None)


def test_degrees_without_a_crs_are_taken_as_cgcs2000():
    assert epsg_of(require_crs(None, [114.6], [31.3])) == 4490


def test_eastings_that_do_not_carry_the_declared_zone_number_are_refused():
    with pytest.raises(CrsError, match="zone number 38"):
        require_crs(resolve_crs(4526), [414_000.0], [3_465_000.0])
    with pytest.raises(CrsError, match="without a zone number"):
        require_crs(resolve_crs(4547), [38_414_000.0], [3_465_000.0])
    assert require_crs(resolve_crs(4526), [38_414_000.0], [3_465_000.0]) is not None


def test_unknown_systems_are_refused_by_name():
    with pytest.raises(CrsError, match="unknown coordinate system"):
        resolve_crs("EPSG:99999999")
    with pytest.raises(CrsError, match="map-app"):
        resolve_crs("gcj02")
    with pytest.raises(CrsError, match="zone 12 is outside China"):
        gauss_kruger_epsg(zone_width=6, zone=12)


def test_zone_and_cm_variants_of_one_meridian_agree_to_the_millimetre():
    lon, lat = 114.617, 31.286   # Hong'an county, Hubei
    (x38,), (y38,) = from_wgs84([lon], [lat], resolve_crs(4526))
    (xcm,), (ycm,) = from_wgs84([lon], [lat], resolve_crs(4547))
    assert x38 - 38_000_000 == pytest.approx(xcm, abs=0.001) and y38 == pytest.approx(ycm, abs=0.001)
    (blon,), (blat,) = to_wgs84([x38], [y38], resolve_crs(4526))
    assert blon == pytest.approx(lon, abs=1e-8) and blat == pytest.approx(lat, abs=1e-8)
