"""The whole conversation of the bot: every step and every command."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.admin.roles import PickRoleStep, RolesStep, WhoStep, open_roles
from handlers.assessor.assignments import (
    AssignmentsStep,
    AssignmentStep,
    NoteStep,
    UnitStep,
    open_assignments,
)
from handlers.candidate.apl01 import Apl01ReviewStep, Apl01Step
from handlers.candidate.apl02 import Apl02EvidenceStep, Apl02Step
from handlers.candidate.appeal import AppealFilesStep, AppealStep, start_appeal
from handlers.candidate.application import HubStep
from handlers.candidate.eligibility import EligibilityStep
from handlers.candidate.evidence import ChecklistStep, EvidenceItemStep
from handlers.candidate.status import StatusStep, show_status
from handlers.candidate.submit import DeclarationStep
from handlers.common.guide import GuideStep
from handlers.common.linking import LinkStep, offer_link
from handlers.common.mydata import DeleteConfirmStep, MyDataStep, show_data
from handlers.common.questions import AskConfirmStep, AskStep, offer_to_ask, open_ask
from handlers.common.start import (
    LanguageStep,
    MenuStep,
    apply,
    cancel,
    choose_language,
    menu,
    show_help,
    start,
)
from handlers.common.zone import ZoneStep, open_zone
from handlers.conversation import Flow, Step
from handlers.holder.certificate import MyCertificateStep, SurveillanceUploadStep
from handlers.staff.broadcast import (
    ConfirmStep,
    MonthsStep,
    SegmentStep,
    StateStep,
    WriteStep,
    open_broadcast,
)
from handlers.staff.calendar import (
    LeaveConfirmStep,
    LeaveDaysStep,
    LeaveSourceStep,
    LeaveStep,
    open_leave,
)
from handlers.staff.certificates import LookupStep, ManageStep, open_certificates
from handlers.staff.certificates import ReasonStep as CertificateReasonStep
from handlers.staff.common import refuse_forged
from handlers.staff.decisions import AssignStep, PanelStep, StaffInputStep
from handlers.staff.questions import AnswerStep, QuestionsStep, open_questions
from handlers.staff.review import ItemStep, QueueStep, ReasonStep, ReviewStep, open_queue
from handlers.staff.stats import show_stats

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
    AskStep(),
    AskConfirmStep(),
    QuestionsStep(),
    AnswerStep(),
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
    "tanya": open_ask,
    "ask": open_ask,
    "pertanyaan": open_questions,
    "questions": open_questions,
}


TYPED_COMMANDS = frozenset({"menu", "batal", "cancel", "bantuan", "help", "status"})
"""What the messages say to type as a word ("Ketik menu"): a command wherever it is typed."""


def build_flow(extra_steps: Sequence[Step] = ()) -> Flow:
    """The bot's whole conversation; ``extra_steps`` lets tests add steps of their own."""
    return Flow(
        steps={step.name: step for step in (*STEPS, *extra_steps)},
        commands=COMMANDS,
        first_contact=start,
        verified_phone=offer_link,
        forged_option=refuse_forged,
        free_text=offer_to_ask,
        typed_commands=TYPED_COMMANDS,
    )
