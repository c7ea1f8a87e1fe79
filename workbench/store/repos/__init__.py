"""One repository per aggregate; each works inside the unit of work it is given."""

from workbench.store.repos.alerts import AlertsRepo
from workbench.store.repos.approvals import ApprovalsRepo
from workbench.store.repos.audit import AuditRepo, ChangesRepo
from workbench.store.repos.code_folders import CodeFoldersRepo as CodeFoldersRepo
from workbench.store.repos.graphs import GraphsRepo
from workbench.store.repos.models import ArtifactsRepo, ModelsRepo
from workbench.store.repos.notifications import NotificationsRepo as NotificationsRepo
from workbench.store.repos.people import CommentsRepo, ProjectsRepo, UsersRepo
from workbench.store.repos.presence import PresenceRepo as PresenceRepo
from workbench.store.repos.runs import RunsRepo
from workbench.store.repos.series import KpisRepo, MetricsRepo, PredictionsRepo, ResultsRepo
from workbench.store.repos.targets import Target, TargetsRepo
from workbench.store.repos.tokens import TokensRepo as TokensRepo

__all__ = [
    "AlertsRepo", "ApprovalsRepo", "ArtifactsRepo", "AuditRepo", "ChangesRepo", "CommentsRepo", "GraphsRepo",
    "KpisRepo", "MetricsRepo", "ModelsRepo", "PredictionsRepo", "ProjectsRepo", "ResultsRepo",
    "RunsRepo", "Target", "TargetsRepo", "UsersRepo",
]
