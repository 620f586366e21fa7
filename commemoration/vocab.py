"""The commemoration's fixed vocabulary: codes in English, labels as organisers read them."""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    qingming = "qingming"
    anniversary = "anniversary"
    cross_region_visit = "cross_region_visit"
    other = "other"


EVENT_KIND_LABELS = {"qingming": "清明祭扫", "anniversary": "纪念日活动", "cross_region_visit": "异地祭扫",
                     "other": "其他"}


class EventStatus(StrEnum):
    planned = "planned"
    held = "held"
    cancelled = "cancelled"


EVENT_STATUS_LABELS = {"planned": "筹备中", "held": "已举办", "cancelled": "已取消"}


class GroupKind(StrEnum):
    school = "school"
    unit = "unit"
    families = "families"
    public = "public"


GROUP_KIND_LABELS = {"school": "学校", "unit": "机关单位", "families": "烈属", "public": "社会公众"}


class BookingStatus(StrEnum):
    booked = "booked"
    cancelled = "cancelled"


BOOKING_STATUS_LABELS = {"booked": "已预约", "cancelled": "已取消"}


class ProxyState(StrEnum):
    requested = "requested"
    assigned = "assigned"
    visited = "visited"
    notified = "notified"
    declined = "declined"


PROXY_STATE_LABELS = {"requested": "待受理", "assigned": "已派员", "visited": "已祭扫", "notified": "已告知家属",
                      "declined": "不予受理"}

ACTS = ("clean_stone", "lay_flowers", "photograph", "call_family")
"""The four acts of a proxy visit (代祭扫)."""
ACT_LABELS = {"clean_stone": "擦拭墓碑", "lay_flowers": "敬献鲜花", "photograph": "拍照留念", "call_family": "电话告知家属"}


class TripStatus(StrEnum):
    planned = "planned"
    completed = "completed"
    cancelled = "cancelled"


TRIP_STATUS_LABELS = {"planned": "计划中", "completed": "已完成", "cancelled": "已取消"}


class MessageStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


MESSAGE_STATUS_LABELS = {"pending": "待审核", "approved": "已通过", "rejected": "未通过"}
