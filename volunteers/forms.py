from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import Area, AreaKind

from .models import Activity, ServiceTheme, VolunteerProfile

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class FilterForm(forms.Form):
    colour = forms.ModelChoiceField(
        ServiceTheme.objects.all(),
        required=False,
        to_field_name="slug",
        label=_("Colour"),
        empty_label=_("All colours"),
    )
    date = forms.DateField(
        required=False, label=_("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    grid = forms.ModelChoiceField(
        Area.objects.filter(kind=AreaKind.GRID),
        required=False,
        label=_("Grid"),
        empty_label=_("All grids"),
    )

    def __init__(self, *args, community: Area | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        grids = Area.objects.filter(kind=AreaKind.GRID)
        if community is not None:
            grids = grids.filter(path__startswith=community.path)
        self.fields["grid"].queryset = grids
        self.fields["grid"].label_from_instance = lambda a: a.full_name()


class JoinForm(forms.ModelForm):
    class Meta:
        model = VolunteerProfile
        fields = ["themes", "skills", "availability", "phone", "on_leaderboard"]
        widgets = {"themes": forms.CheckboxSelectMultiple}


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["theme", "community", "grid", "title", "place", "description", "skills_wanted"]

    def __init__(self, *args, communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        within = Q(pk__in=[])
        for community in communities:
            within |= Q(path__startswith=community.path)
        self.fields["community"].queryset = Area.objects.filter(
            kind=AreaKind.COMMUNITY, pk__in=[c.pk for c in communities]
        )
        self.fields["grid"].queryset = Area.objects.filter(within, kind=AreaKind.GRID)
        self.fields["grid"].label_from_instance = lambda a: a.full_name()


class ShiftsForm(forms.Form):
    first_date = forms.DateField(
        label=_("First day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    start_time = forms.TimeField(
        label=_("Starts at"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    hours = forms.DecimalField(label=_("Length (hours)"), min_value=0.25, max_value=24, initial=2)
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, label=_("Every"), widget=forms.CheckboxSelectMultiple
    )
    until = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    capacity = forms.IntegerField(label=_("Seats"), min_value=1, initial=10)


class MessageForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=150)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}))
