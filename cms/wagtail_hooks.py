from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.auth import permission_denied
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .admin_scoping import CommunityScopedPolicy, GridWorkerForm
from .models import GridWorker


class GridWorkerViewSet(SnippetViewSet):
    model = GridWorker
    icon = "user"
    menu_label = _("Contact cards")
    menu_order = 170
    add_to_admin_menu = True
    list_display = ["name", "role", "community", "phone", "consent", "live"]
    list_filter = ["role", "consent", "live"]
    search_fields = ["name"]
    base_form_class = GridWorkerForm

    def get_queryset(self, request):
        return self.permission_policy.instances_user_has_any_permission_for(
            request.user, ["change", "delete", "publish"]
        )


# Registered for the model, so every admin view (and chooser) applies the same scope.
register_permission_policy(GridWorker, CommunityScopedPolicy(GridWorker))
register_snippet(GridWorkerViewSet)


def _outside_scope(request, instances) -> bool:
    policy = CommunityScopedPolicy(GridWorker)
    return any(
        isinstance(obj, GridWorker)
        and not policy.user_has_permission_for_instance(request.user, "change", obj)
        for obj in instances
    )


@hooks.register("before_edit_snippet")
def refuse_editing_cards_of_other_communities(request, instance):
    if _outside_scope(request, [instance]):
        return permission_denied(request)


@hooks.register("before_delete_snippet")
def refuse_deleting_cards_of_other_communities(request, instances):
    if _outside_scope(request, instances):
        return permission_denied(request)


from . import map_admin  # noqa: E402, F401
