"""The whole conversation of the bot: every step and every command."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.apl01 import Apl01ReviewStep, Apl01Step
from handlers.apl02 import Apl02EvidenceStep, Apl02Step
from handlers.appeal import AppealFilesStep, AppealStep, start_appeal
from handlers.application import HubStep
from handlers.assessor import AssignmentsStep, AssignmentStep, NoteStep, UnitStep, open_assignments
from handlers.broadcast import (
    ConfirmStep,
    MonthsStep,
    SegmentStep,
    StateStep,
    WriteStep,
    open_broadcast,
)
from handlers.calendar import (
    LeaveConfirmStep,
    LeaveDaysStep,
    LeaveSourceStep,
    LeaveStep,
    open_leave,
)
from handlers.certificates import (
    LookupStep,
    ManageStep,
    MyCertificateStep,
    SurveillanceUploadStep,
    open_certificates,
)
from handlers.certificates import ReasonStep as CertificateReasonStep
from handlers.conversation import Flow, Step
from handlers.decisions import AssignStep, PanelStep, StaffInputStep
from handlers.eligibility import EligibilityStep
from handlers.evidence import ChecklistStep, EvidenceItemStep
from handlers.guide import GuideStep
from handlers.linking import LinkStep, offer_link
from handlers.mydata import DeleteConfirmStep, MyDataStep, show_data
from handlers.roles import PickRoleStep, RolesStep, WhoStep, open_roles
from handlers.staff import ItemStep, QueueStep, ReasonStep, ReviewStep, open_queue
from handlers.staff_common import refuse_forged
from handlers.start import (
    LanguageStep,
    MenuStep,
    apply,
    cancel,
    choose_language,
    menu,
    show_help,
    start,
)
from handlers.stats import show_stats
from handlers.status import StatusStep, show_status
from handlers.submit import DeclarationStep
from handlers.zone import ZoneStep, open_zone

STEPS: tuple[Step, ...] = (
    LanguageStep(),
    MenuStep(),
    GuideStep(),
    HubStep(),
    EligibilityStep(),
    Apl01Step(),
    Apl01ReviewStep(),
    ChecklistStep(),
    EvidenceItemStep(),
    Apl02Step(),
    Apl02EvidenceStep(),
    DeclarationStep(),
    StatusStep(),
    MyDataStep(),
    DeleteConfirmStep(),
    LinkStep(),
    QueueStep(),
    ReviewStep(),
    ItemStep(),
    ReasonStep(),
    AssignStep(),
    PanelStep(),
    StaffInputStep(),
    AssignmentsStep(),
    AssignmentStep(),
    UnitStep(),
    NoteStep(),
    AppealStep(),
    AppealFilesStep(),
    SegmentStep(),
    StateStep(),
    MonthsStep(),
    WriteStep(),
    ConfirmStep(),
    MyCertificateStep(),
    SurveillanceUploadStep(),
    LookupStep(),
    ManageStep(),
    CertificateReasonStep(),
    RolesStep(),
    PickRoleStep(),
    WhoStep(),
    LeaveStep(),
    LeaveDaysStep(),
    LeaveSourceStep(),
    LeaveConfirmStep(),
    ZoneStep(),
)

COMMANDS = {
    "start": start,
    "mulai": start,
    "help": show_help,
    "bantuan": show_help,
    "bahasa": choose_language,
    "language": choose_language,
    "batal": cancel,
    "cancel": cancel,
    "menu": menu,
    "daftar": apply,
    "apply": apply,
    "status": show_status,
    "data": show_data,
    "antrian": open_queue,
    "queue": open_queue,
    "tugas": open_assignments,
    "assignments": open_assignments,
    "banding": start_appeal,
    "appeal": start_appeal,
    "siaran": open_broadcast,
    "broadcast": open_broadcast,
    "stats": show_stats,
    "statistik": show_stats,
    "sertifikat": open_certificates,
    "certificate": open_certificates,
    "peran": open_roles,
    "roles": open_roles,
    "cutibersama": open_leave,
    "leave": open_leave,
    "zona": open_zone,
    "timezone": open_zone,
}


def build_flow(extra_steps: Sequence[Step] = ()) -> Flow:
    """The bot's whole conversation; ``extra_steps`` lets tests add steps of their own."""
    return Flow(
        steps={step.name: step for step in (*STEPS, *extra_steps)},
        commands=COMMANDS,
        first_contact=start,
        verified_phone=offer_link,
        forged_option=refuse_forged,
    )
