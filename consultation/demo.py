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
