import pytest
from openpyxl import load_workbook

from gis.geodesy import degree_box, distance_m, haversine_m, parse_bbox
from gis.tables import TableError, read_table, write_csv, write_xlsx


def test_distance_of_one_millidegree_of_latitude():
    assert distance_m(114.6, 31.3, 114.6, 31.301) == pytest.approx(110.9, abs=0.5)
    assert haversine_m(114.6, 31.3, 114.6, 31.301) == pytest.approx(111.2, abs=0.5)


@pytest.mark.parametrize("lat", [0.0, 31.3, 53.0])
def test_degree_box_contains_circle(lat):
    box = degree_box(100.0, lat, 5000)
    # east, west, north, south points 5 km away are all inside
    for lon, la in ((box.min_lon, lat), (box.max_lon, lat), (100.0, box.min_lat), (100.0, box.max_lat)):
        assert distance_m(100.0, lat, lon, la) >= 5000


@pytest.mark.parametrize(
    ("text", "words"),
    [("1,2,3", "four"), ("a,b,c,d", "numbers"), ("115,31,114,32", "minimum"), ("0,0,200,1", "longitudes")],
)
def test_parse_bbox_errors(text, words):
    with pytest.raises(ValueError, match=words):
        parse_bbox(text)


def test_csv_utf8_bom_and_gbk(tmp_path):
    for encoding in ("utf-8-sig", "gbk", "utf-8"):
        path = tmp_path / f"t-{encoding}.csv"
        path.write_bytes("名称,经度,纬度\n七里坪烈士墓,114.7,31.4\n\n".encode(encoding))
        table = read_table(path)
        assert table.count == 1
        assert list(table.rows) == [(2, {"名称": "七里坪烈士墓", "经度": "114.7", "纬度": "31.4"})]


def test_binary_garbage_is_a_table_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\x82" * 10)
    with pytest.raises(TableError):
        read_table(path)


def test_unsupported_suffix(tmp_path):
    with pytest.raises(TableError, match="unsupported"):
        read_table(tmp_path / "x.dbf")


def test_xlsx_round_trip_keeps_codes_as_text(tmp_path):
    path = tmp_path / "x.xlsx"
    write_xlsx(path, [("台账", ["编号", "经度"], [["421122-0001", 114.621512], [421122100, 114.5]])])
    book = load_workbook(path)
    assert book.sheetnames == ["台账"]
    rows = list(read_table(path).rows)
    assert rows[0] == (2, {"编号": "421122-0001", "经度": "114.621512"})
    assert rows[1][1]["编号"] == "421122100"


def test_write_csv_has_bom_for_excel(tmp_path):
    path = tmp_path / "x.csv"
    write_csv(path, ["名称"], [["烈士墓"]])
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
