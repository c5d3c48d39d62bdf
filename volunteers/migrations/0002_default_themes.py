"""The five colours the service starts with; staff may edit them later."""

from django.db import migrations

DEFAULT_THEMES = [
    # slug, colour zh, colour en, name zh, name en, colour, text colour, icon, meaning
    ("red", "红", "Red", "党员先锋", "Party-member vanguard", "#c8102e", "#ffffff", "flag",
     "党员带头，哪里有需要就到哪里。Party members lead where help is needed."),
    ("orange", "橙", "Orange", "关爱帮扶", "Care and support", "#e87722", "#000000", "heart",
     "关爱老人、儿童和残疾人。Care for older people, children and people with disabilities."),
    ("green", "绿", "Green", "环境美化", "Clean and green", "#2e7d32", "#ffffff", "leaf",
     "清洁楼院、绿化美化。Clean courtyards and green the neighbourhood."),
    ("gold", "金", "Gold", "文体教育", "Culture, sport and learning", "#d4a017", "#000000", "book",
     "文化、体育和教育活动。Culture, sport and education for all ages."),
    ("blue", "蓝", "Blue", "平安守护", "Safety patrol", "#1565c0", "#ffffff", "shield",
     "治安巡逻和应急救援。Safety patrols and help in emergencies."),
]


def add_themes(apps, schema_editor):
    ServiceTheme = apps.get_model("volunteers", "ServiceTheme")
    for order, (slug, czh, cen, nzh, nen, colour, text, icon, meaning) in enumerate(DEFAULT_THEMES):
        ServiceTheme.objects.get_or_create(
            slug=slug,
            defaults=dict(
                colour_name_zh=czh, colour_name_en=cen, name_zh=nzh, name_en=nen, colour=colour,
                text_colour=text, icon=icon, meaning=meaning, sort_order=order * 10,
            ),
        )


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0001_initial")]
    operations = [migrations.RunPython(add_themes, migrations.RunPython.noop)]
