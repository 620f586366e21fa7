"""The workflow of a repair project: proposed → approved → in_progress → completed, or cancelled.

Guards say in Chinese what a step still lacks: approval before work starts;
an acceptance record (验收: date, who, result, document) and at least one
"after" photo of every facility before the project is completed; a reason
to cancel.
"""

from __future__ import annotations

from memorials.workflow import Transition, Workflow
from repairs.models import RepairProject
from repairs.vocab import STATE_LABELS


def _approved(project: RepairProject) -> str | None:
    if project.approval_date is None or not project.approval_document_no or not project.approval_authority:
        return "项目尚未批准：需先由管理员记录批准机关、批准文号和批准日期"
    return None


def _approval_recorded(project: RepairProject) -> str | None:
    missing = [label for label, value in (("批准机关", project.approval_authority),
                                          ("批准文号", project.approval_document_no),
                                          ("批准日期", project.approval_date)) if not value]
    return f"缺少{'、'.join(missing)}" if missing else None


def _acceptance_recorded(project: RepairProject) -> str | None:
    missing = [label for label, value in (("验收日期", project.acceptance_date), ("验收人", project.acceptance_by),
                                          ("验收结论", project.acceptance_result),
                                          ("验收文件编号", project.acceptance_document_no)) if not value]
    return f"尚无完整的验收记录（缺少{'、'.join(missing)}）" if missing else None


def _after_photos(project: RepairProject) -> str | None:
    shown = {e.facility_id for e in project.evidence
             if e.phase == "after" and e.attachment.kind == "photo" and e.attachment.verification == "verified"}
    lacking = [f.name for f in project.facilities if f.id not in shown]
    if lacking:
        return "以下设施尚无经位置核验的竣工后照片：" + "、".join(lacking)
    return None


def _reason(project: RepairProject) -> str | None:
    return None if project.cancel_reason.strip() else "请填写取消原因"


REPAIR_FLOW = Workflow(
    entity="repair",
    states=STATE_LABELS,
    transitions=[
        Transition("approve", {"proposed"}, "approved", "批准立项", guards=(_approval_recorded,)),
        Transition("start", {"proposed", "approved"}, "in_progress", "开工", guards=(_approved,)),
        Transition("complete", {"in_progress"}, "completed", "竣工验收", guards=(_acceptance_recorded, _after_photos)),
        Transition("cancel", {"proposed", "approved", "in_progress"}, "cancelled", "取消项目", guards=(_reason,)),
    ],
)

TRANSITION_TO = {t.target: t.name for t in REPAIR_FLOW.transitions}
"""The transition that reaches each state (the API names the state to go to)."""
