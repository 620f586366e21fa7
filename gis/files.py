"""Survey files in and out: GeoPackage, Shapefile, GeoJSON, KML/KMZ, and CSV/XLSX with coordinates.

Reading gives one :class:`Feature` per record, its attributes as text and
its geometry in WGS84 (Shapely), or the reason it cannot be used; the CRS
comes from the file (``.prj``, the GeoPackage's own) or is declared, and a
projected file with neither is refused (:mod:`gis.crs`). Shapefile
attribute tables from Chinese desktop GIS are GBK, often without a ``.cpg``:
the encoding is detected from the bytes (a ``.cpg`` that does not fit them
is overruled), so names never arrive as mojibake.

Writing takes the same features back to any of those formats; field names
are whatever the caller gives (Chinese where planners read them).
Shapefiles are written in GBK with a ``.cpg`` saying so, as Chinese desktop
GIS expects, with field names that fit the DBF's 10 bytes.

GeoPandas, pyogrio and Shapely are imported inside the functions: a server
that never reads a survey file never loads them.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gis.crs import CrsError, describe, epsg_of, require_crs, resolve_crs
from gis.tables import TableError, read_table, write_csv, write_xlsx

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

VECTOR_SUFFIXES = {".gpkg": "gpkg", ".shp": "shp", ".geojson": "geojson", ".json": "geojson", ".kml": "kml",
                   ".kmz": "kmz", ".zip": "shp"}
TABLE_SUFFIXES = {".csv": "csv", ".xlsx": "xlsx"}
FORMATS = ("gpkg", "shp", "geojson", "kml", "kmz", "csv", "xlsx")
DRIVERS = {"gpkg": "GPKG", "shp": "ESRI Shapefile", "geojson": "GeoJSON", "kml": "KML", "kmz": "KML"}
# Fields GDAL's KML readers add to every placemark: dropped unless they carry something.
KML_FIELDS = {"id", "Name", "description", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude",
              "visibility", "drawOrder", "icon", "snippet"}
SHAPEFILE_ENCODING = "GBK"
# Column names that hold coordinates in tables (compared lower-case).
LON_COLUMNS = ("经度", "longitude", "lon", "lng", "x经度")
LAT_COLUMNS = ("纬度", "latitude", "lat")
EASTING_COLUMNS = ("东坐标", "easting", "y坐标")   # surveyors' Y is the easting
NORTHING_COLUMNS = ("北坐标", "northing", "x坐标")  # and their X the northing


class SurveyFileError(ValueError):
    """A file that cannot be read at all, with the field and the reason."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass
class Feature:
    number: int
    """1-based: the record's number in its layer, or its line in a table (header is line 1)."""
    properties: dict[str, str]
    geometry: BaseGeometry | None = None
    """WGS84 longitude/latitude."""
    problem: tuple[str, str] | None = None
    """(field, reason) when the record cannot be used."""
    layer: str = ""


@dataclass
class SurveyFile:
    format: str
    features: list[Feature]
    crs: str = ""
    """The source CRS as read or declared, e.g. ``EPSG:4526 CGCS2000 / 3-degree Gauss-Kruger zone 38``."""
    encoding: str | None = None
    layers: list[str] = field(default_factory=list)


def file_format(path: Path, declared: str | None = None) -> str:
    if declared:
        fmt = declared.lower().lstrip(".")
        if fmt not in FORMATS:
            raise SurveyFileError("format", f"unknown format {declared!r}; one of {', '.join(FORMATS)}")
        return fmt
    suffix = path.suffix.lower()
    fmt = VECTOR_SUFFIXES.get(suffix) or TABLE_SUFFIXES.get(suffix)
    if fmt is None:
        raise SurveyFileError("file", f"unsupported file type {suffix or '(none)'}: use one of "
                                      ".gpkg .shp (or a .zip of one) .geojson .kml .kmz .csv .xlsx")
    return fmt


# -- encodings ---------------------------------------------------------------------------------------------------


def _dbf_text_bytes(dbf: bytes) -> bytes:
    """The bytes of a DBF that hold text: field names and character fields."""
    if len(dbf) < 32:
        return b""
    header_len = int.from_bytes(dbf[8:10], "little")
    names = b"".join(dbf[i:i + 11].split(b"\0")[0] for i in range(32, header_len - 1, 32) if dbf[i:i + 1] != b"\r")
    return names + b"\n" + dbf[header_len:]


def detect_dbf_encoding(dbf: bytes, cpg: str | None = None) -> str:
    """The encoding of a DBF's text: its ``.cpg`` if the bytes fit it, else UTF-8 if they fit, else GB18030.

    GB18030 is a superset of GBK and GB2312 and decodes any byte sequence
    those produce; plain ASCII is valid in every one of them.
    """
    data = _dbf_text_bytes(dbf)
    candidates: list[str] = []
    if cpg:
        name = cpg.strip().lower()
        name = {"936": "gbk", "cp936": "gbk", "65001": "utf-8", "utf8": "utf-8", "gb2312": "gbk"}.get(name, name)
        candidates.append(name)
    candidates += ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        return "GB18030" if encoding in ("gbk", "gb18030") else encoding.upper()
    return "GB18030"


# -- reading -----------------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def _geometry_problem(geom: BaseGeometry | None) -> tuple[str, str] | None:
    import shapely

    if geom is None or geom.is_empty:
        return ("geometry", "the record has no geometry")
    if geom.geom_type not in ("Point", "Polygon", "MultiPolygon"):
        return ("geometry", f"{geom.geom_type} is neither a point (a facility) nor a polygon (a footprint or "
                            "protection zone)")
    if not geom.is_valid:
        return ("geometry", f"invalid {geom.geom_type}: {shapely.is_valid_reason(geom)}")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return ("geometry", "the coordinates do not transform to a place on Earth: check the coordinate system")
    return None


def _shapefile_encoding(path: Path) -> str:
    dbf = path.with_suffix(".dbf")
    if not dbf.exists():
        dbf = path.with_suffix(".DBF")
    cpg = path.with_suffix(".cpg")
    cpg_text = cpg.read_text("ascii", errors="replace") if cpg.exists() else None
    return detect_dbf_encoding(dbf.read_bytes() if dbf.exists() else b"", cpg_text)


def _unzip_shapefile(path: Path) -> Path:
    """A .zip holding one shapefile, as offices mail them: extract beside it and return the .shp."""
    target = path.with_suffix("")
    target.mkdir(exist_ok=True)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise SurveyFileError("file", "not a readable .zip archive") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > 512 * 1024 * 1024:
            raise SurveyFileError("file", "the archive unpacks to more than 512 MB")
        shps = [m for m in members if m.filename.lower().endswith(".shp")]
        if len(shps) != 1:
            raise SurveyFileError("file", f"the .zip must hold exactly one .shp, it holds {len(shps)}")
        stem = shps[0].filename[:-4]
        for member in members:
            if member.filename[:-4] == stem:
                out = target / ("survey" + member.filename[-4:].lower())
                out.write_bytes(archive.read(member))
    return target / "survey.shp"


def _quiet(exc: Exception, path: Path) -> str:
    """GDAL's message without the server's paths."""
    return str(exc).replace(str(path.parent) + "/", "").replace(str(path), path.name)[:200]


def _unzip_kmz(path: Path) -> Path:
    """The KML inside a KMZ (``doc.kml``, or the first .kml), extracted beside it."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [m.filename for m in archive.infolist() if m.filename.lower().endswith(".kml")]
            if not names:
                raise SurveyFileError("file", "the KMZ holds no .kml document")
            member = archive.getinfo("doc.kml" if "doc.kml" in names else names[0])
            if member.file_size > 256 * 1024 * 1024:
                raise SurveyFileError("file", "the KMZ's document is larger than 256 MB")
            target = path.with_name(path.stem + ".doc.kml")
            target.write_bytes(archive.read(member))
    except zipfile.BadZipFile:
        raise SurveyFileError("file", "not a readable KMZ (zip) file") from None
    return target


def _read_vector(path: Path, fmt: str, declared_crs: str | None) -> SurveyFile:
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    if fmt == "shp" and path.suffix.lower() == ".zip":
        path = _unzip_shapefile(path)
    if fmt == "kmz":
        path = _unzip_kmz(path)
    encoding = _shapefile_encoding(path) if fmt == "shp" else None
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except (DataSourceError, DataLayerError, OSError) as exc:
        raise SurveyFileError("file", f"not a readable {fmt} file ({_quiet(exc, path)})") from None
    features: list[Feature] = []
    crs_text = ""
    for layer in layers:
        try:
            gdf = pyogrio.read_dataframe(path, layer=layer, encoding=encoding)
        except (DataSourceError, DataLayerError) as exc:
            raise SurveyFileError("file", f"layer {layer!r} cannot be read ({_quiet(exc, path)})") from None
        if "geometry" not in gdf:
            continue
        source = resolve_crs(declared_crs) if declared_crs else (
            resolve_crs(prj=gdf.crs.to_wkt()) if gdf.crs is not None else None)
        if fmt in ("kml", "kmz") and declared_crs is None:
            source = resolve_crs("wgs84")  # KML is WGS84 by definition
        present = gdf.geometry[gdf.geometry.notna() & ~gdf.geometry.is_empty]
        bounds = present.bounds
        source = require_crs(source, list(bounds["minx"]) + list(bounds["maxx"]),
                             list(bounds["miny"]) + list(bounds["maxy"]))
        crs_text = describe(source)
        gdf = gdf.set_crs(source, allow_override=True)
        if epsg_of(source) not in (4326, 4490):
            gdf = gdf.to_crs(4326)
        columns = [c for c in gdf.columns if c != "geometry"]
        for number, (values, geom) in enumerate(zip(gdf[columns].itertuples(index=False), gdf.geometry), start=1):
            props = {str(c): _text(v) for c, v in zip(columns, values)}
            if fmt in ("kml", "kmz"):
                props = _kml_properties(props)
            features.append(Feature(number, props, geom, _geometry_problem(geom), layer))
    return SurveyFile(fmt, features, crs_text, encoding, layers)


def _kml_properties(props: dict[str, str]) -> dict[str, str]:
    """Drop the placemark fields GDAL adds; keep a name or description that says something of its own."""
    out = {k: v for k, v in props.items() if k not in KML_FIELDS}
    for key in ("Name", "description"):
        value = props.get(key, "")
        if value and value not in out.values():
            out[key] = value
    return out


def _column(header: Sequence[str], names: Sequence[str], chosen: str | None) -> str | None:
    if chosen:
        if chosen not in header:
            raise SurveyFileError(chosen, f"no column {chosen!r} in the file (it has: {', '.join(header)[:300]})")
        return chosen
    lowered = {h.strip().lower(): h for h in header}
    return next((lowered[n] for n in names if n in lowered), None)


def _read_table(path: Path, fmt: str, declared_crs: str | None, x_column: str | None,
                y_column: str | None) -> SurveyFile:
    from shapely.geometry import Point

    try:
        table = read_table(path)
    except (TableError, OSError) as exc:
        raise SurveyFileError("file", str(exc)) from None
    projected = declared_crs is not None and not resolve_crs(declared_crs).is_geographic
    x_name = _column(table.header, EASTING_COLUMNS if projected else LON_COLUMNS, x_column)
    y_name = _column(table.header, NORTHING_COLUMNS if projected else LAT_COLUMNS, y_column)
    if x_name is None or y_name is None:
        which = "easting/northing (东坐标/北坐标)" if projected else "longitude/latitude (经度/纬度)"
        raise SurveyFileError("columns", f"no {which} columns found; name them with the x and y column options")
    rows = list(table.rows)
    coords: list[tuple[float, float] | None] = []
    problems: list[tuple[str, str] | None] = []
    for _, row in rows:
        try:
            x, y = float(row.get(x_name, "")), float(row.get(y_name, ""))
            if not (math.isfinite(x) and math.isfinite(y)):
                raise ValueError
            coords.append((x, y))
            problems.append(None)
        except ValueError:
            coords.append(None)
            bad = x_name if not _is_number(row.get(x_name, "")) else y_name
            problems.append((bad, f"must be a number, got {row.get(bad, '')!r}"))
    good = [c for c in coords if c is not None]
    source = require_crs(resolve_crs(declared_crs) if declared_crs else None,
                         [c[0] for c in good], [c[1] for c in good])
    from gis.crs import to_wgs84

    lons, lats = to_wgs84([c[0] for c in good], [c[1] for c in good], source) if good else ([], [])
    converted = iter(zip(lons, lats))
    features = []
    for (line, row), coord, problem in zip(rows, coords, problems):
        geom = Point(next(converted)) if coord is not None else None
        props = {k: v for k, v in row.items() if k not in (x_name, y_name)}
        if problem is None:
            problem = _geometry_problem(geom)
        features.append(Feature(line, props, geom, problem))
    return SurveyFile(fmt, features, describe(source), table.encoding)


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def read_survey(path: Path, *, crs: str | None = None, fmt: str | None = None, x_column: str | None = None,
                y_column: str | None = None) -> SurveyFile:
    """Read a survey file into WGS84 features; see the module docstring.

    Raises :class:`SurveyFileError` (or :class:`gis.crs.CrsError`) when the
    file as a whole cannot be used; a record that cannot be used carries its
    ``problem`` and the others are still returned.
    """
    fmt = file_format(path, fmt)
    if fmt in ("csv", "xlsx"):
        return _read_table(path, fmt, crs, x_column, y_column)
    return _read_vector(path, fmt, crs)


# -- writing -----------------------------------------------------------------------------------------------------


@dataclass
class Layer:
    name: str
    columns: list[str]
    rows: list[list[Any]]
    geometries: list[BaseGeometry]


def _frame(layer: Layer) -> Any:
    import geopandas

    data = {c: [r[i] for r in layer.rows] for i, c in enumerate(layer.columns)}
    return geopandas.GeoDataFrame(data, geometry=list(layer.geometries), crs="EPSG:4326")


def shapefile_name(name: str) -> str:
    """Cut a field name to the DBF's 10 bytes in GBK, on a character boundary."""
    out = ""
    for ch in name:
        if len((out + ch).encode("gbk", errors="replace")) > 10:
            break
        out += ch
    return out


def write_survey(path: Path, layers: Sequence[Layer], *, fmt: str | None = None) -> list[Path]:
    """Write layers (WGS84) to ``path`` in ``fmt``; returns the files written.

    GeoPackage holds every layer in one file; Shapefile writes one file per
    layer (``<stem>_<layer>.shp`` after the first); GeoJSON and KML/KMZ put
    all layers' features in one file, as do CSV/XLSX (point layers only,
    longitude/latitude columns, every cell through ``safe_cell``).
    """
    import pyogrio

    fmt = file_format(path, fmt)
    written: list[Path] = []
    if fmt in ("csv", "xlsx"):
        header = list(layers[0].columns) + ["经度", "纬度"]
        rows = [list(r) + [g.x, g.y] for r, g in zip(layers[0].rows, layers[0].geometries)]
        if fmt == "csv":
            write_csv(path, header, rows)
        else:
            write_xlsx(path, [(layers[0].name, header, rows)])
        return [path]
    if fmt in ("geojson", "kml", "kmz"):
        import pandas

        frames = [_frame(layer) for layer in layers if layer.rows]
        frame = pandas.concat(frames, ignore_index=True) if frames else _frame(layers[0])
        if fmt in ("kml", "kmz"):
            frame = frame.astype({c: "string" for c in frame.columns if c != "geometry"})
            if "名称" in frame.columns:  # the label Google Earth and Ovi show
                frame.insert(0, "Name", frame["名称"])
        target = path.with_suffix(".kml.tmp") if fmt == "kmz" else path
        pyogrio.write_dataframe(frame, target, driver=DRIVERS[fmt], layer=layers[0].name)
        if fmt == "kmz":  # GDAL's LIBKML mangles non-ASCII layer names inside a KMZ: zip the KML ourselves
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.write(target, "doc.kml")
            target.unlink()
        return [path]
    for index, layer in enumerate(layers):
        if fmt == "gpkg":
            if layer.rows or index == 0:
                pyogrio.write_dataframe(_frame(layer), path, driver="GPKG", layer=layer.name, append=index > 0)
            written = [path]
            continue
        if not layer.rows and index > 0:
            continue
        target = path if index == 0 else path.with_name(f"{path.stem}_{layer.name}.shp")
        frame = _frame(layer).rename(columns={c: shapefile_name(c) for c in layer.columns})
        pyogrio.write_dataframe(frame, target, driver="ESRI Shapefile", encoding=SHAPEFILE_ENCODING)
        written.append(target)
    return written


def feature_rows(survey: SurveyFile) -> Iterator[Feature]:
    yield from survey.features


__all__ = ["CrsError", "Feature", "Layer", "SurveyFile", "SurveyFileError", "detect_dbf_encoding", "read_survey",
           "write_survey", "FORMATS"]
