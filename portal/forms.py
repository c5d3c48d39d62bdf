from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Area, AreaKind, Household


class SignupExtraForm(forms.Form):
    """Extra sign-up fields, merged into allauth's sign-up form."""

    name = forms.CharField(
        label=_("Name"),
        max_length=60,
        help_text=_("How neighbours and staff will see you, e.g. 王阿姨 or 张建国."),
    )

    def signup(self, request, user) -> None:
        user.name = self.cleaned_data["name"].strip()
        user.save(update_fields=["name"])


class HouseholdChoiceForm(forms.Form):
    """The last step of choosing a home: the household, checked against the community."""

    community = forms.ModelChoiceField(
        queryset=Area.objects.filter(kind=AreaKind.COMMUNITY),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("That community does not exist.")},
    )
    household = forms.ModelChoiceField(
        label=_("Household (room)"),
        queryset=Household.objects.select_related("unit"),
        error_messages={
            "invalid_choice": _("That household does not exist. Pick one from the list."),
            "required": _("Pick your household."),
        },
    )

    def __init__(self, *args, unit: Area | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if unit is not None:
            self.fields["household"].queryset = Household.objects.filter(unit=unit)
            self.fields["household"].label_from_instance = lambda h: h.label

    def clean(self):
        data = super().clean()
        community, household = data.get("community"), data.get("household")
        if community and household and not household.unit.path.startswith(community.path):
            self.add_error(
                "household",
                _("That household is not in %(community)s.") % {"community": community},
            )
        return data


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give the resident a reason, so they know what to correct.")},
    )


class HouseholdForm(forms.Form):
    label = forms.CharField(label=_("Room"), max_length=40)
    floor_area = forms.DecimalField(
        label=_("Floor area (m²)"),
        required=False,
        min_value=1,
        max_digits=7,
        decimal_places=2,
    )
