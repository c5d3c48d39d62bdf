import pytest
from django.core.exceptions import ValidationError

from volunteers.models import MIN_CONTRAST, ServiceTheme, contrast_ratio

pytestmark = pytest.mark.django_db


def test_the_five_colours_exist_in_order_with_readable_text():
    themes = list(ServiceTheme.objects.all())
    assert [t.slug for t in themes] == ["red", "orange", "green", "gold", "blue"]
    assert [t.colour_name_zh for t in themes] == ["红", "橙", "绿", "金", "蓝"]
    assert [t.name_zh for t in themes] == [
        "党员先锋",
        "关爱帮扶",
        "环境美化",
        "文体教育",
        "平安守护",
    ]
    for t in themes:
        assert contrast_ratio(t.colour, t.text_colour) >= MIN_CONTRAST, t.slug
        t.full_clean()


def test_contrast_ratio_matches_wcag_extremes():
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0
    assert contrast_ratio("#777777", "#777777") == 1.0


def test_a_text_colour_with_poor_contrast_is_refused():
    red = ServiceTheme.objects.get(slug="red")
    red.text_colour = "#ff6666"
    with pytest.raises(ValidationError) as error:
        red.full_clean()
    assert "text_colour" in error.value.message_dict
    assert "4.5:1" in error.value.message_dict["text_colour"][0]


def test_theme_name_follows_the_language():
    from django.utils import translation

    blue = ServiceTheme.objects.get(slug="blue")
    with translation.override("zh-hans"):
        assert str(blue) == "蓝 · 平安守护"
    with translation.override("en"):
        assert str(blue) == "Blue · Safety patrol"
