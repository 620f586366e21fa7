"""The visiting order and timetable for a day of stops (a Qingming route).

A bus leaves the start (the bureau, or the first site) at ``depart`` and
visits every stop once, optionally coming back. The order minimises the
distance driven, subject to each stop's booked slot (预约时段: the visit
must *start* inside it; a bus that comes early waits) and its time on site.
Distances are geodesic straight lines on the WGS84 ellipsoid unless a road
distance matrix is given (when a road network is loaded); travel time is
distance over ``speed_kmh``, in whole seconds.

The order comes from OR-Tools' vehicle-routing solver with a time dimension
(guided local search under a time limit); ``tests/commemoration/test_routing.py``
measures its gap to the exact optimum found by brute force. When no order
meets every slot the answer is still an order: the solver is asked again with
the slots' ends as soft limits (lateness costs far more than distance), and
every slot missed is reported in Chinese, naming the stop and the slot.

OR-Tools is imported inside the solver, so that the server starts without it.

>>> from datetime import datetime
>>> bureau = Stop(0, "县退役军人事务局", 114.60, 31.30)
>>> stops = [Stop(1, "甲烈士墓", 114.70, 31.30, service_minutes=30), Stop(2, "乙烈士墓", 114.65, 31.30)]
>>> route = plan_route(bureau, stops, depart=datetime(2027, 4, 5, 8, 0), time_limit_s=0.2)
>>> [s.name for s in route.order], round(route.total_m / 1000, 1), route.feasible
(['乙烈士墓', '甲烈士墓'], 9.5, True)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from gis.geodesy import distance_m
from memorials.errors import ValidationProblem

LATE_PENALTY_PER_S = 1_000
"""Cost of each second past a slot's end when no order meets every slot; a metre driven costs 1."""

Moment = time | datetime
"""A slot's bound: a clock time on the day of departure, or a full datetime."""


@dataclass(frozen=True)
class Stop:
    """A place to visit (WGS84), its booked slot and its time on site."""

    key: int
    name: str
    longitude: float
    latitude: float
    window: tuple[Moment, Moment] | None = None
    service_minutes: int = 0


@dataclass(frozen=True)
class Leg:
    """Getting to one stop: ``distance_m`` from the previous point, then arrive, wait, visit, leave."""

    stop: Stop
    distance_m: float
    arrive: datetime
    start: datetime
    leave: datetime

    @property
    def wait_minutes(self) -> int:
        return round((self.start - self.arrive).total_seconds() / 60)


@dataclass(frozen=True)
class Route:
    """A day's plan. ``back`` is the drive home on a round trip; ``total_m`` includes it."""

    start: Stop
    depart: datetime
    legs: list[Leg]
    total_m: float
    feasible: bool
    violations: list[str] = field(default_factory=list)
    back: Leg | None = None

    @property
    def order(self) -> list[Stop]:
        return [leg.stop for leg in self.legs]


@dataclass(frozen=True)
class _Slot:
    begins: datetime
    ends: datetime
    lo: int
    """Earliest start, whole seconds after departure (never negative)."""
    hi: int
    """Latest start, whole seconds after departure (negative: the slot was over before the bus left)."""


def straight_line_matrix(points: Sequence[Stop]) -> list[list[float]]:
    """Geodesic distances in metres between every pair of points (WGS84)."""
    return [[0.0 if i == j else distance_m(a.longitude, a.latitude, b.longitude, b.latitude)
             for j, b in enumerate(points)] for i, a in enumerate(points)]


def travel_seconds(metres: float, speed_kmh: float) -> int:
    """Driving time in whole seconds at an average speed."""
    return round(metres * 3.6 / speed_kmh)


def clock_text(moment: datetime, day: datetime) -> str:
    """``HH:MM``, with the date when it is not the day of ``day``."""
    return f"{moment:%H:%M}" if moment.date() == day.date() else f"{moment.month}月{moment.day}日 {moment:%H:%M}"


def _moment(value: object, depart: datetime, where: str) -> datetime:
    if isinstance(value, datetime):
        if (value.tzinfo is None) != (depart.tzinfo is None):
            raise ValidationProblem(where, "mixes a time zone with none: give the slot and the departure both "
                                           "with a zone or both without")
        return value
    if isinstance(value, time):
        return datetime.combine(depart.date(), value, tzinfo=value.tzinfo or depart.tzinfo)
    raise ValidationProblem(where, f"must be a time or a datetime, got {value!r}")


def _slots(stops: Sequence[Stop], depart: datetime) -> list[_Slot | None]:
    slots: list[_Slot | None] = []
    for i, stop in enumerate(stops):
        if stop.window is None:
            slots.append(None)
            continue
        where = f"stops[{i}].window"
        if len(stop.window) != 2:
            raise ValidationProblem(where, "must be a pair (begins, ends)")
        begins, ends = (_moment(v, depart, where) for v in stop.window)
        if ends < begins:
            raise ValidationProblem(where, f"ends ({ends:%H:%M}) before it begins ({begins:%H:%M})")
        slots.append(_Slot(begins, ends, max(0, math.ceil((begins - depart).total_seconds())),
                           math.floor((ends - depart).total_seconds())))
    return slots


def _check(points: Sequence[Stop], depart: object, speed_kmh: float, matrix_m: object) -> list[list[float]]:
    if not isinstance(depart, datetime):
        raise ValidationProblem("depart", "must be a datetime")
    if not (isinstance(speed_kmh, int | float) and math.isfinite(speed_kmh) and speed_kmh > 0):
        raise ValidationProblem("speed_kmh", f"must be a positive number of km/h, got {speed_kmh!r}")
    for i, stop in enumerate(points[1:]):
        if not isinstance(stop.service_minutes, int) or stop.service_minutes < 0:
            raise ValidationProblem(f"stops[{i}].service_minutes", "must be a whole number of minutes, 0 or more")
    if matrix_m is None:
        return straight_line_matrix(points)
    n = len(points)
    rows = list(matrix_m)  # type: ignore[call-overload]
    if len(rows) != n or any(len(row) != n for row in rows):
        raise ValidationProblem("matrix_m", f"must be {n}×{n}: the start, then each stop in the order given")
    matrix = [[float(v) for v in row] for row in rows]
    if any(not math.isfinite(v) or v < 0 for row in matrix for v in row):
        raise ValidationProblem("matrix_m", "distances must be finite and not negative (metres)")
    return matrix


def _timetable(start: Stop, stops: Sequence[Stop], sequence: Sequence[int], *, depart: datetime,
               matrix: list[list[float]], speed_kmh: float, round_trip: bool, slots: list[_Slot | None]) -> Route:
    """Earliest times along a fixed order (``sequence`` holds 1-based stop numbers); late slots reported."""
    legs: list[Leg] = []
    violations: list[str] = []
    clock, here, total = depart, 0, 0.0
    for position, node in enumerate(sequence, start=1):
        stop, slot = stops[node - 1], slots[node - 1]
        metres = matrix[here][node]
        arrive = clock + timedelta(seconds=travel_seconds(metres, speed_kmh))
        begin = arrive if slot is None else max(arrive, depart + timedelta(seconds=slot.lo))
        if slot is not None and begin > slot.ends:
            late = math.ceil((begin - slot.ends).total_seconds() / 60)
            violations.append(f"第{position}站「{stop.name}」预约时段 {clock_text(slot.begins, depart)}–"
                              f"{clock_text(slot.ends, depart)}，按此路线最早 {clock_text(begin, depart)} "
                              f"才能开始祭扫，晚了 {late} 分钟")
        leave = begin + timedelta(minutes=stop.service_minutes)
        legs.append(Leg(stop, metres, arrive, begin, leave))
        total += metres
        clock, here = leave, node
    back = None
    if round_trip and sequence:
        metres = matrix[here][0]
        home = clock + timedelta(seconds=travel_seconds(metres, speed_kmh))
        back = Leg(start, metres, home, home, home)
        total += metres
    return Route(start, depart, legs, total, not violations, violations, back)


def schedule(start: Stop, order: Sequence[Stop], *, depart: datetime, speed_kmh: float = 40.0,
             matrix_m: Sequence[Sequence[float]] | None = None, round_trip: bool = False) -> Route:
    """The timetable of an order chosen by hand, with the slots it misses (no solver).

    ``matrix_m`` rows and columns are the start, then ``order``.
    """
    points = [start, *order]
    matrix = _check(points, depart, speed_kmh, matrix_m)
    return _timetable(start, order, range(1, len(order) + 1), depart=depart, matrix=matrix, speed_kmh=speed_kmh,
                      round_trip=round_trip, slots=_slots(order, depart))


def plan_route(start: Stop, stops: Sequence[Stop], *, depart: datetime, speed_kmh: float = 40.0,
               matrix_m: Sequence[Sequence[float]] | None = None, round_trip: bool = False,
               time_limit_s: float = 2.0) -> Route:
    """The order of ``stops`` that drives least while starting each visit inside its slot.

    Parameters
    ----------
    start
        Where the bus leaves from at ``depart``; its slot and time on site are not used.
    stops
        The places to visit, each once.
    depart
        Departure time; slots given as clock times are on its day and in its zone.
    speed_kmh
        Average driving speed.
    matrix_m
        Road distances in metres when a network is loaded: rows and columns are
        ``start`` then ``stops`` as given, and may differ by direction. Without
        it, geodesic straight lines.
    round_trip
        Whether the bus comes back to ``start`` (the distance back counts).
    time_limit_s
        How long the solver may search; twice that when the slots cannot all
        be kept (a second search then looks for the least late order).

    Returns
    -------
    Route
        Never an exception for slots that cannot all be kept: ``feasible`` is
        False and ``violations`` names each stop and slot missed.
    """
    stops = list(stops)
    points = [start, *stops]
    matrix = _check(points, depart, speed_kmh, matrix_m)
    if not (isinstance(time_limit_s, int | float) and time_limit_s > 0):
        raise ValidationProblem("time_limit_s", "must be a positive number of seconds")
    slots = _slots(stops, depart)
    sequence: list[int] | None = []
    if stops:
        service = [0] + [60 * s.service_minutes for s in stops]
        sequence = _solve(matrix, service, slots, speed_kmh, round_trip, time_limit_s, hard=True)
        if sequence is None:
            sequence = _solve(matrix, service, slots, speed_kmh, round_trip, time_limit_s, hard=False)
    route = _timetable(start, stops, sequence or range(1, len(stops) + 1), depart=depart, matrix=matrix,
                       speed_kmh=speed_kmh, round_trip=round_trip, slots=slots)
    if sequence is None:  # not expected with soft slots; the organiser still gets the order as given
        route.violations.insert(0, "求解器未能给出路线，以下按原顺序排列")
        return Route(route.start, route.depart, route.legs, route.total_m, False, route.violations, route.back)
    return route


def _solve(matrix: list[list[float]], service_s: list[int], slots: list[_Slot | None], speed_kmh: float,
           round_trip: bool, time_limit_s: float, *, hard: bool) -> list[int] | None:
    """The visiting order (node numbers), the same for the same question while the process lives.

    The search runs until its time limit, so two searches may settle on
    different orders of equal or nearly equal length; remembering the answer
    keeps the route page, its printout and the API in agreement, and a reload
    costs nothing.
    """
    found = _search(tuple(map(tuple, matrix)), tuple(service_s), tuple(slots), speed_kmh, round_trip,
                    time_limit_s, hard)
    return None if found is None else list(found)


@functools.lru_cache(maxsize=256)
def _search(matrix: tuple[tuple[float, ...], ...], service_s: tuple[int, ...], slots: tuple[_Slot | None, ...],
            speed_kmh: float, round_trip: bool, time_limit_s: float, hard: bool) -> tuple[int, ...] | None:
    """OR-Tools routing with one vehicle; node 0 is the start, an open route ends at a free extra node."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = len(matrix)
    if hard and any(slot is not None and slot.hi < slot.lo for slot in slots):
        return None
    size = n if round_trip else n + 1
    end = 0 if round_trip else n
    metres = [[round(matrix[i][j]) if i < n and j < n else 0 for j in range(size)] for i in range(size)]
    seconds = [[(service_s[i] + (travel_seconds(matrix[i][j], speed_kmh) if j < n else 0)) if i < n else 0
                for j in range(size)] for i in range(size)]
    lo_max = max((slot.lo for slot in slots if slot is not None), default=0)
    horizon = lo_max + sum(max(row) for row in seconds) + 1

    manager = pywrapcp.RoutingIndexManager(size, 1, [0], [end])
    model = pywrapcp.RoutingModel(manager)
    model.SetArcCostEvaluatorOfAllVehicles(model.RegisterTransitMatrix(metres))
    model.AddDimension(model.RegisterTransitMatrix(seconds), horizon, horizon, True, "time")
    clock = model.GetDimensionOrDie("time")
    for node, slot in enumerate(slots, start=1):
        if slot is None:
            continue
        cumul = clock.CumulVar(manager.NodeToIndex(node))
        if hard:
            cumul.SetRange(slot.lo, slot.hi)
        else:
            cumul.SetMin(slot.lo)
            clock.SetCumulVarSoftUpperBound(manager.NodeToIndex(node), max(slot.hi, 0), LATE_PENALTY_PER_S)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, round(time_limit_s * 1000)))
    solution = model.SolveWithParameters(params)
    if solution is None:
        return None
    sequence = []
    index = solution.Value(model.NextVar(model.Start(0)))
    while not model.IsEnd(index):
        sequence.append(manager.IndexToNode(index))
        index = solution.Value(model.NextVar(index))
    return tuple(sequence)
