"""The demo district: 铁岭市银州区 with its sub-districts, communities, grids and homes.

Every person in it is invented. Building the tree is idempotent: each place has a
stable code, and only what is missing is added.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from .models import Area, AreaKind, Household

DISTRICT = ("铁岭市银州区", "yinzhou")


@dataclass(frozen=True)
class CommunityPlan:
    name: str
    code: str
    buildings_per_grid: tuple[int, ...]
    units_per_building: int
    floors: int = 5
    rooms_per_floor: int = 2


# 居然社区: 117 buildings in 8 grids of about 300 households (2 units × 5 floors × 2 rooms).
JURAN = CommunityPlan("居然社区", "juran", (15, 15, 15, 15, 15, 14, 14, 14), units_per_building=2)


def _small(name: str, code: str) -> CommunityPlan:
    # Four grids of ten three-unit buildings: 300 households a grid.
    return CommunityPlan(name, code, (10, 10, 10, 10), units_per_building=3)


STREETS: list[tuple[str, str, list[CommunityPlan]]] = [
    ("红旗街道", "hongqi", [_small("电业社区", "dianye")]),
    ("铁西街道", "tiexi", [JURAN]),
    (
        "柴河街道",
        "chaihe",
        [
            _small("光明社区", "guangming"),
            _small("平安社区", "pingan"),
            _small("枫情水岸社区", "fengqing"),
        ],
    ),
    ("工人街道", "gongren", [_small("协和社区", "xiehe"), _small("春园社区", "chunyuan")]),
    ("辽海街道", "liaohai", [_small("八三社区", "basan")]),
    ("岭东街道", "lingdong", [_small("文荟社区", "wenhui")]),
]


class TreeBuilder:
    """Adds missing areas and households; counts what it added."""

    def __init__(self) -> None:
        self.areas = {a.code: a for a in Area.objects.all()}
        self.added_areas = 0
        self.added_households = 0
        self._rng = random.Random(278)

    def area(self, parent: Area | None, *, name: str, kind: str, code: str) -> Area:
        found = self.areas.get(code)
        if found is None:
            if parent is None:
                found = Area.add_root(name=name, kind=kind, code=code)
            else:
                found = parent.add_area(name=name, kind=kind, code=code)
            self.areas[code] = found
            self.added_areas += 1
        return found

    def build(self) -> Area:
        district = self.area(None, name=DISTRICT[0], kind=AreaKind.DISTRICT, code=DISTRICT[1])
        existing_homes = set(Household.objects.values_list("unit_id", "label"))
        new_homes: list[Household] = []
        for street_name, street_code, plans in STREETS:
            street_code = f"{DISTRICT[1]}-{street_code}"
            street = self.area(district, name=street_name, kind=AreaKind.STREET, code=street_code)
            for plan in plans:
                community_code = f"{street_code}-{plan.code}"
                community = self.area(
                    street, name=plan.name, kind=AreaKind.COMMUNITY, code=community_code
                )
                number = 0
                for grid_no, buildings in enumerate(plan.buildings_per_grid, start=1):
                    grid = self.area(
                        community,
                        name=f"第{grid_no}网格",
                        kind=AreaKind.GRID,
                        code=f"{community_code}-g{grid_no}",
                    )
                    for _ in range(buildings):
                        number += 1
                        building = self.area(
                            grid,
                            name=f"{number}号楼",
                            kind=AreaKind.BUILDING,
                            code=f"{community_code}-b{number}",
                        )
                        for unit_no in range(1, plan.units_per_building + 1):
                            unit = self.area(
                                building,
                                name=f"{unit_no}单元",
                                kind=AreaKind.UNIT,
                                code=f"{community_code}-b{number}-u{unit_no}",
                            )
                            for floor in range(1, plan.floors + 1):
                                for room in range(1, plan.rooms_per_floor + 1):
                                    label = f"{floor}0{room}"
                                    # Drawn even when the home exists, so areas stay stable.
                                    size = Decimal(self._rng.randrange(4800, 12800)) / 100
                                    if (unit.pk, label) not in existing_homes:
                                        new_homes.append(
                                            Household(unit=unit, label=label, floor_area=size)
                                        )
        Household.objects.bulk_create(new_homes, batch_size=1000)
        self.added_households = len(new_homes)
        return district


@dataclass
class DemoContext:
    """What one app's seeding leaves for the next, and for the closing summary."""

    lines: list[str]
    accounts: list[tuple[str, str, str]]

    def log(self, line: str) -> None:
        self.lines.append(line)


# (role label, e-mail, password, name): fictional people, development only.
DEMO_PASSWORD_NOTE = "Demo passwords are public; never load the demo data into a real site."


_hashes: dict[str, str] = {}


def demo_account(
    ctx: DemoContext, *, label: str, email: str, password: str, name: str, superuser=False
):
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password

    from .models import User

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(username=email.split("@")[0], email=email, name=name)
        # Hashing is slow on purpose; the demo shares passwords, so hash each once.
        if password not in _hashes:
            _hashes[password] = make_password(password)
        user.password = _hashes[password]
        user.is_superuser = user.is_staff = superuser
        user.save()
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    ctx.accounts.append((label, email, password))
    return user


def _home(code: str, label: str) -> Household:
    return Household.objects.get(unit__code=code, label=label)


def seed(ctx: DemoContext) -> None:
    from django.utils import timezone

    from . import services
    from .models import ResidentProfile, ResidentStatus, Role

    builder = TreeBuilder()
    district = builder.build()
    ctx.log(
        f"Areas: {Area.objects.count()} ({builder.added_areas} new); "
        f"households: {Household.objects.count()} ({builder.added_households} new)."
    )
    areas = builder.areas
    juran = "yinzhou-tiexi-juran"

    admin = demo_account(
        ctx,
        label="superuser",
        email="admin@demo.example",
        password="demo-admin-2026",
        name="平台管理员",
        superuser=True,
    )
    people = [
        (
            "district admin",
            "district@demo.example",
            "demo-district-2026",
            "赵文博",
            Role.DISTRICT_ADMIN,
            district,
        ),
        (
            "sub-district admin (铁西街道)",
            "street@demo.example",
            "demo-street-2026",
            "钱丽华",
            Role.STREET_ADMIN,
            areas["yinzhou-tiexi"],
        ),
        (
            "community staff (居然社区)",
            "staff@demo.example",
            "demo-staff-2026",
            "孙晓梅",
            Role.COMMUNITY_STAFF,
            areas[juran],
        ),
        (
            "community staff (光明社区)",
            "staff.guangming@demo.example",
            "demo-staff-2026",
            "周海燕",
            Role.COMMUNITY_STAFF,
            areas["yinzhou-chaihe-guangming"],
        ),
        (
            "grid worker (居然社区 第3网格)",
            "gridworker@demo.example",
            "demo-grid-2026",
            "吴建国",
            Role.GRID_WORKER,
            areas[f"{juran}-g3"],
        ),
    ]
    for label, email, password, name, role, area in people:
        user = demo_account(ctx, label=label, email=email, password=password, name=name)
        services.assign_role(actor=None, user=user, role=role, area=area)

    residents = [
        (
            "resident (verified, 居然社区 第3网格)",
            "resident@demo.example",
            "demo-resident-2026",
            "郑桂兰",
            _home(f"{juran}-b31-u1", "301"),
            ResidentStatus.VERIFIED,
        ),
        (
            "resident (verified, neighbour)",
            "neighbour@demo.example",
            "demo-resident-2026",
            "王德顺",
            _home(f"{juran}-b32-u2", "502"),
            ResidentStatus.VERIFIED,
        ),
        (
            "resident (waiting for verification)",
            "pending@demo.example",
            "demo-resident-2026",
            "冯小雨",
            _home(f"{juran}-b33-u1", "102"),
            ResidentStatus.PENDING,
        ),
    ]
    for label, email, password, name, household, status in residents:
        user = demo_account(ctx, label=label, email=email, password=password, name=name)
        ResidentProfile.objects.get_or_create(
            user=user,
            defaults={
                "household": household,
                "status": status,
                "decided_by": admin if status == ResidentStatus.VERIFIED else None,
                "decided_at": timezone.now() if status == ResidentStatus.VERIFIED else None,
            },
        )
