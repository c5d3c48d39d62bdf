"""Add a community to a sub-district, with its grids, and set up its pages and staff groups."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from cms.community_setup import enable_moderation, set_up_community
from portal.models import Area, AreaKind


class Command(BaseCommand):
    help = (
        "Create a community under a sub-district (by its code), optionally with N grids, "
        "then its CMS page, notice list, editor/secretary groups and image collection."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--street", required=True, help="code of the sub-district, e.g. yinzhou-tiexi"
        )
        parser.add_argument("--name", required=True, help="community name, e.g. 新华社区")
        parser.add_argument("--code", required=True, help="short latin code, e.g. xinhua")
        parser.add_argument("--grids", type=int, default=0, help="number of grids to create")
        parser.add_argument(
            "--moderated", action="store_true", help="secretaries approve every change"
        )

    def handle(self, *args, street, name, code, grids, moderated, **options):
        parent = Area.objects.filter(code=street, kind=AreaKind.STREET).first()
        if parent is None:
            raise CommandError(f"No sub-district with code {street!r}.")
        if slugify(code) != code:
            raise CommandError("The code may only hold lower-case letters, digits and hyphens.")
        full_code = f"{street}-{code}"
        with transaction.atomic():
            community = Area.objects.filter(code=full_code).first() or parent.add_area(
                name=name, kind=AreaKind.COMMUNITY, code=full_code
            )
            for number in range(1, grids + 1):
                grid_code = f"{full_code}-g{number}"
                if not Area.objects.filter(code=grid_code).exists():
                    community.add_area(name=f"第{number}网格", kind=AreaKind.GRID, code=grid_code)
            page = set_up_community(actor=None, community=community, slug=code)
            if moderated:
                enable_moderation(actor=None, community=community)
        self.stdout.write(f"{community.name}: page {page.url_path}, {grids} grid(s).")
