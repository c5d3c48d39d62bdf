"""Contact cards in Wagtail admin, limited to the communities a user manages."""

from __future__ import annotations

from django.db.models import Q
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.permission_policies import ModelPermissionPolicy

from portal.models import Area, AreaKind
from portal.permissions import Action, can, scope_filter


class CommunityScopedPolicy(ModelPermissionPolicy):
    """Django model permissions, narrowed to instances in the user's communities."""

    def user_has_permission_for_instance(self, user, action, instance) -> bool:
        return super().user_has_permission_for_instance(user, action, instance) and can(
            user, Action.MANAGE_CONTENT, instance.community
        )

    def user_has_any_permission_for_instance(self, user, actions, instance) -> bool:
        return any(self.user_has_permission_for_instance(user, a, instance) for a in actions)

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return self.model.objects.none()
        return self.model.objects.filter(
            scope_filter(user, Action.MANAGE_CONTENT, "community__path")
        )

    def instances_user_has_permission_for(self, user, action):
        return self.instances_user_has_any_permission_for(user, [action])


class GridWorkerForm(WagtailAdminModelForm):
    """Only the user's communities, and only grids/buildings inside the chosen community."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        user = for_user
        if user is None:
            return
        communities = Area.objects.filter(kind=AreaKind.COMMUNITY).filter(
            scope_filter(user, Action.MANAGE_CONTENT, "path")
        )
        self.fields["community"].queryset = communities
        area_q = Q(pk__in=[])
        for community in communities:
            area_q |= Q(path__startswith=community.path)
        self.fields["areas"].queryset = Area.objects.filter(
            kind__in=[AreaKind.GRID, AreaKind.BUILDING]
        ).filter(area_q)
        self.fields["areas"].label_from_instance = lambda area: area.full_name()

    def clean(self):
        data = super().clean()
        community, areas = data.get("community"), data.get("areas")
        if community and areas:
            outside = [a for a in areas if not community.contains(a)]
            if outside:
                self.add_error(
                    "areas",
                    _outside_message(community, outside),
                )
        return data


def _outside_message(community, outside) -> str:
    from django.utils.translation import gettext as _

    return _("%(areas)s are not in %(community)s.") % {
        "areas": "、".join(a.full_name() for a in outside),
        "community": community.name,
    }
