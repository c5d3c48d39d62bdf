"""Demo hall: the leaking roof of building 83 in 居然社区, open for discussion.

Running it again adds nothing. Everyone and everything in it is invented.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from portal.demo import DemoContext
from portal.models import User

from .models import HallPage, Post, Second, Stance

JURAN_CODE = "yinzhou-tiexi-juran"
SLUG = "b83-roof-leak"

# (author e-mail, stance, text, replies as (author e-mail, text))
DEMO_POSTS = [
    (
        "resident@demo.example",
        Stance.FOR,
        "支持方案一：整体重做防水层。去年只补了几处，今年雨季又漏，修修补补不如一次修好。",
        [("neighbour@demo.example", "同意，但希望先公布两家施工队的报价再定。")],
    ),
    (
        "neighbour@demo.example",
        Stance.QUESTION,
        "维修资金从哪里出？是用公共维修基金，还是按户分摊？顶层和一楼的住户分摊一样吗？",
        [("resident@demo.example", "上次楼长说可以申请维修基金，请社区确认一下。")],
    ),
    (
        "resident@demo.example",
        Stance.SUGGESTION,
        "施工时请避开雨天，并提前在单元门口贴出通知，家里有老人的提前打招呼。",
        [],
    ),
]


def seed(ctx: DemoContext) -> None:
    seed_hall(ctx)
    seed_vote(ctx)


def seed_hall(ctx: DemoContext) -> None:
    from cms.models import CommunityPage

    community_page = CommunityPage.objects.filter(area__code=JURAN_CODE).first()
    if community_page is None:
        return
    hall = HallPage.objects.child_of(community_page).filter(slug=SLUG).first()
    if hall is None:
        now = timezone.now()
        hall = community_page.add_child(
            instance=HallPage(
                title="83号楼楼顶漏雨维修方案",
                slug=SLUG,
                summary=(
                    "83号楼顶层多户反映雨天漏雨。社区和物业拟定了两套方案：一是整体重做防水层，"
                    "二是只修补漏点。请本楼居民发表意见，讨论结束后投票决定。"
                ),
                discussion_opens_at=now - timedelta(days=2),
                voting_opens_at=now + timedelta(days=12),
                closes_at=now + timedelta(days=19),
            )
        )
        hall.save_revision().publish()
        ctx.log("Hall: 83号楼楼顶漏雨维修方案 (居然社区, discussion)")
    if Post.objects.filter(hall=hall).exists():
        return
    users = {u.email: u for u in User.objects.filter(email__endswith="@demo.example")}
    start = timezone.now() - timedelta(hours=20)
    for i, (email, stance, text, replies) in enumerate(DEMO_POSTS):
        author = users.get(email)
        if author is None:
            continue
        top = Post.objects.create(
            hall=hall,
            author=author,
            stance=stance,
            body=f"<p>{text}</p>",
            created_at=start + timedelta(hours=3 * i),
        )
        for j, (reply_email, reply_text) in enumerate(replies):
            if reply_email in users:
                Post.objects.create(
                    hall=hall,
                    author=users[reply_email],
                    stance=Stance.SUGGESTION,
                    body=f"<p>{reply_text}</p>",
                    parent=top,
                    created_at=top.created_at + timedelta(minutes=30 * (j + 1)),
                )
        # One neighbour seconds the other's first posts.
        other = users.get(
            "neighbour@demo.example"
            if email == "resident@demo.example"
            else "resident@demo.example"
        )
        if other is not None and i < 2:
            Second.objects.create(post=top, user=other)
            Post.objects.filter(pk=top.pk).update(seconds_count=1)


# --- the demo vote -------------------------------------------------------------------

VOTE_SLUG = "b31-b32-lift"
VOTE_BUILDINGS = (f"{JURAN_CODE}-b31", f"{JURAN_CODE}-b32")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ("秀英", "桂英", "建国", "玉兰", "德明", "淑珍", "志强", "凤兰", "振华", "丽娟")


def seed_vote(ctx: DemoContext) -> None:
    """A hall in its voting phase with an owners' double-majority poll.

    Lifts are a special matter (art. 278 Civil Code: three quarters of area and owners).
    Elderly owners have voted on paper, entered by staff, up to two households short of
    the two-thirds turnout, so the two demo residents' online votes decide the quorum.
    """
    from decimal import Decimal

    from cms.models import CommunityPage
    from portal.models import Area

    from . import poll_services as ps
    from .polls import Poll

    community_page = CommunityPage.objects.filter(area__code=JURAN_CODE).first()
    staff = User.objects.filter(email="staff@demo.example").first()
    buildings = list(Area.objects.filter(code__in=VOTE_BUILDINGS).order_by("code"))
    if community_page is None or staff is None or len(buildings) != 2:
        return
    hall = HallPage.objects.child_of(community_page).filter(slug=VOTE_SLUG).first()
    now = timezone.now()
    if hall is None:
        hall = community_page.add_child(
            instance=HallPage(
                title="31号楼、32号楼加装电梯方案",
                slug=VOTE_SLUG,
                summary=(
                    "31号楼、32号楼住户申请加装电梯。议事会已讨论选址、费用分摊和低层住户补偿，"
                    "现请两栋楼的业主投票表决（按户计票，需专有部分面积和业主人数双过四分之三）。"
                ),
                discussion_opens_at=now - timedelta(days=10),
                voting_opens_at=now - timedelta(hours=2),
                closes_at=now + timedelta(days=5),
                minutes=(
                    "<p>议事会于本月召开，两栋楼业主代表、物业和社区参加。</p>"
                    "<ul><li>电梯装在单元北侧，不占消防通道。</li>"
                    "<li>费用按楼层分摊，一楼、二楼住户不出资。</li>"
                    "<li>施工期约三个月，期间保留楼梯通行。</li></ul>"
                ),
            )
        )
        hall.scope.set(buildings)
        hall.save_revision().publish()
        ctx.log("Hall: 31号楼、32号楼加装电梯方案 (居然社区, voting)")
    if Poll.objects.filter(hall=hall).exists():
        return
    poll = ps.create_poll(
        actor=staff,
        community=community_page.area,
        hall=hall,
        question="是否同意31号楼、32号楼加装电梯？",
        description="按户计票，公开投票。行动不便的老人可由网格员上门收取纸质选票。",
        kind="for_against",
        opens_at=hall.voting_opens_at,
        closes_at=hall.closes_at,
        unit="household",
        mode="open",
        results_visibility="live",
        scope=buildings,
        double_majority=True,
        special_matter=True,
    )
    for_, against, abstain = poll.options.order_by("position")
    homes = list(
        ps.eligible_households(poll).select_related("unit").order_by("unit__path", "label")
    )
    online = set(
        User.objects.filter(
            email__in=["resident@demo.example", "neighbour@demo.example"]
        ).values_list("resident_profile__household_id", flat=True)
    )
    total_area = sum((h.floor_area or Decimal(0)) for h in homes)
    online_area = sum((h.floor_area or Decimal(0)) for h in homes if h.pk in online)
    paper_count, paper_area = 0, Decimal(0)
    for i, home in enumerate(h for h in homes if h.pk not in online):
        # Stop where the two online households would lift both turnouts to two thirds.
        if (
            3 * (paper_count + len(online)) >= 2 * len(homes)
            and 3 * (paper_area + online_area) >= 2 * total_area
        ):
            break
        choice = against if i % 9 == 4 else abstain if i % 17 == 8 else for_
        ps.cast_ballot(
            voter=staff,
            poll=poll,
            option_ids=[choice.pk],
            paper_household=home,
            paper_name=SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)],
        )
        paper_count += 1
        paper_area += home.floor_area or Decimal(0)
    ctx.log(
        f"Poll: 加装电梯 ({len(homes)} households, {paper_count} paper ballots entered by staff)"
    )
