"""Setting up a community in the CMS: its pages, its staff groups and what they may touch.

Each community gets two Wagtail groups. Editors (its community staff) edit the
community's page subtree, its contact cards and its own image/document collection;
secretaries additionally approve and publish. Without moderation editors publish
themselves; with moderation on, their changes go through the secretaries.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from portal.models import Area, AreaKind, Role, RoleAssignment, User
from portal.services import staff_group

from .models import CommunityPage, HomePage, NoticeIndexPage

PAGE_PERMISSIONS_EDITOR = ["add_page", "change_page", "lock_page", "unlock_page"]
PAGE_PERMISSIONS_PUBLISH = ["publish_page"]
COLLECTION_PERMISSIONS = [
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "change_document"),
    ("wagtaildocs", "choose_document"),
]
CARD_PERMISSIONS = [
    "add_gridworker",
    "change_gridworker",
    "delete_gridworker",
    "publish_gridworker",
]


def editors_group_name(community: Area) -> str:
    return f"{community.name} editors ({community.code})"


def secretaries_group_name(community: Area) -> str:
    return f"{community.name} secretaries ({community.code})"


def _perm(app_label: str, codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def community_groups(community: Area) -> tuple[Group, Group]:
    editors, _created = Group.objects.get_or_create(name=editors_group_name(community))
    secretaries, _created = Group.objects.get_or_create(name=secretaries_group_name(community))
    return editors, secretaries


def _grant_pages(group: Group, page: CommunityPage, codenames: list[str]) -> None:
    for codename in codenames:
        GroupPagePermission.objects.get_or_create(
            group=group, page=page, permission=_perm("wagtailcore", codename)
        )


def moderated(page: CommunityPage) -> bool:
    return WorkflowPage.objects.filter(page=page, workflow__active=True).exists()


@transaction.atomic
def set_up_community(
    *, actor: User | None, community: Area, slug: str | None = None, title: str | None = None
) -> CommunityPage:
    """Create (or complete) the community's page, notice list, groups and collection.

    Idempotent: run again, it adds only what is missing. `actor=None` is the system.
    """
    if community.kind != AreaKind.COMMUNITY:
        raise ValidationError(_("Pages are set up for communities only."))
    if actor is not None and not actor.is_superuser:
        street = community.get_parent()
        if not RoleAssignment.objects.filter(
            user=actor,
            role__in=[Role.STREET_ADMIN, Role.DISTRICT_ADMIN],
            area__path__in=[street.path, street.get_parent().path],
        ).exists():
            raise PermissionDenied(
                _("Only sub-district or district administrators add communities.")
            )
    home = HomePage.objects.first()
    if home is None:
        raise ValidationError(_("Create the district home page first."))
    page = CommunityPage.objects.filter(area=community).first()
    if page is None:
        page = home.add_child(
            instance=CommunityPage(
                title=title or community.name,
                slug=slug or community.code.rsplit("-", 1)[-1],
                area=community,
            )
        )
        page.save_revision().publish()
    if not NoticeIndexPage.objects.child_of(page).exists():
        index = page.add_child(instance=NoticeIndexPage(title="通知公告", slug="notices"))
        index.save_revision().publish()

    editors, secretaries = community_groups(community)
    for group in (editors, secretaries):
        group.permissions.add(_perm("wagtailadmin", "access_admin"))
        group.permissions.add(*[_perm("cms", c) for c in CARD_PERMISSIONS])
        _grant_pages(group, page, PAGE_PERMISSIONS_EDITOR)
    _grant_pages(secretaries, page, PAGE_PERMISSIONS_PUBLISH)
    if not moderated(page):
        _grant_pages(editors, page, PAGE_PERMISSIONS_PUBLISH)

    root_collection = Collection.get_first_root_node()
    collection = Collection.objects.filter(name=community.name, depth=2).first()
    if collection is None:
        collection = root_collection.add_child(name=community.name)
    for group in (editors, secretaries):
        for app_label, codename in COLLECTION_PERMISSIONS:
            GroupCollectionPermission.objects.get_or_create(
                group=group, collection=collection, permission=_perm(app_label, codename)
            )

    # Staff already responsible for this community (or above it) become its editors.
    for assignment in RoleAssignment.objects.filter(
        role__in=[Role.COMMUNITY_STAFF, Role.STREET_ADMIN, Role.DISTRICT_ADMIN]
    ).select_related("area", "user"):
        if assignment.area.contains(community):
            assignment.user.groups.add(editors)
    return page


@transaction.atomic
def enable_moderation(*, actor: User | None, community: Area) -> Workflow:
    """Editors submit; the community's secretaries approve and publish."""
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied(_("Only a superuser turns moderation on."))
    page = CommunityPage.objects.get(area=community)
    editors, secretaries = community_groups(community)
    # Workflow and task names are stored data, named in the portal's primary language so
    # that running this again (in any locale) finds the same workflow.
    workflow, created = Workflow.objects.get_or_create(name=f"{community.name} · 书记审核")
    if created:
        task = GroupApprovalTask.objects.create(name=f"{community.name} · 社区书记")
        task.groups.add(secretaries)
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.update_or_create(page=page, defaults={"workflow": workflow})
    GroupPagePermission.objects.filter(
        group=editors, page=page, permission=_perm("wagtailcore", "publish_page")
    ).delete()
    return workflow


def make_secretary(*, actor: User | None, user: User, community: Area) -> None:
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied(_("Only a superuser appoints secretaries."))
    _editors, secretaries = community_groups(community)
    user.groups.add(secretaries, staff_group())


def on_role_assigned(sender, assignment: RoleAssignment, **kwargs) -> None:
    """Staff of a community (or above it) become editors of each community page below."""
    if assignment.role == Role.GRID_WORKER:
        return
    for community in Area.objects.filter(
        kind=AreaKind.COMMUNITY, path__startswith=assignment.area.path
    ):
        editors, _secretaries = community_groups(community)
        assignment.user.groups.add(editors)
