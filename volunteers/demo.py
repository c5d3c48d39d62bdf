"""Demo volunteering in 居然社区: a weekly blue patrol and a Saturday green clean-up.

Running it again adds nothing (on the same day). Everyone and everything in it is invented.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from portal.demo import DemoContext
from portal.models import Area, User

from . import services
from .models import ACTIVE, Activity, ServiceTheme, Shift, Signup

JURAN_CODE = "yinzhou-tiexi-juran"
WEEKS = 4


def _start(at: time) -> datetime:
    tomorrow = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(tomorrow, at))


def seed(ctx: DemoContext) -> None:
    community = Area.objects.filter(code=JURAN_CODE).first()
    staff = User.objects.filter(email="staff@demo.example").first()
    if community is None or staff is None:
        return
    until = timezone.localdate() + timedelta(weeks=WEEKS)
    plans = [
        (
            "blue",
            "夜间平安巡逻",
            "社区服务站门口集合",
            "沿各楼院巡查消防通道、楼道杂物和路灯，发现问题当场登记。请穿舒适的鞋。",
            "熟悉本社区道路；会用手机拍照",
            time(19, 0),
            [0, 2, 4],
            6,
        ),
        (
            "green",
            "周六楼院大扫除",
            "第3网格 31号楼前广场",
            "清理绿化带垃圾、小广告和楼道杂物。社区提供手套、夹子和垃圾袋。",
            "",
            time(8, 30),
            [5],
            10,
        ),
    ]
    added = 0
    for slug, title, place, description, skills, at, weekdays, capacity in plans:
        activity = Activity.objects.filter(community=community, title=title).first()
        if activity is None:
            activity = services.save_activity(
                actor=staff,
                theme=ServiceTheme.objects.get(slug=slug),
                community=community,
                title=title,
                place=place,
                description=description,
                skills_wanted=skills,
            )
        added += len(
            services.generate_shifts(
                actor=staff,
                activity=activity,
                first_start=_start(at),
                duration=timedelta(hours=2),
                weekdays=weekdays,
                until=until,
                capacity=capacity,
            )
        )
    # One nearly full shift: the first clean-up has two seats, and one is taken.
    cleanup = Shift.objects.filter(
        activity__community=community, activity__title="周六楼院大扫除", cancelled=False
    ).first()
    resident = User.objects.filter(email="resident@demo.example").first()
    if cleanup is not None and resident is not None:
        if cleanup.taken == 0 and cleanup.capacity != 2:
            Shift.objects.filter(pk=cleanup.pk).update(capacity=2)
            cleanup.refresh_from_db()
        if not Signup.objects.filter(shift=cleanup, user=resident, status__in=ACTIVE).exists():
            services.sign_up(user=resident, shift=cleanup)
    ctx.log(f"Volunteering: {Shift.objects.count()} shifts ({added} new) in 居然社区.")
