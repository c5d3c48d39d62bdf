"""The `hall:<page id>` topic: stance counts, new posts, replies and seconds, live.

Events carry ids and counts only, never what residents wrote: the browser fetches
new posts as HTML rendered by the same template as the page.
"""

from __future__ import annotations

from django.db.models import Count

from portal import live

from .models import HallPage, Post, Stance

# How many of the latest posts a snapshot describes; older ones do not change often.
SNAPSHOT_POSTS = 500


def hall_topic(hall_id: int) -> str:
    return f"hall:{hall_id}"


def stance_counts(hall_id: int) -> dict[str, int]:
    """Top-level posts per stance that readers can see, plus their total."""
    rows = (
        Post.objects.counted()
        .filter(hall_id=hall_id, parent__isnull=True)
        .values("stance")
        .annotate(n=Count("id"))
    )
    counts = {stance: 0 for stance in Stance.values}
    for row in rows:
        counts[row["stance"]] = row["n"]
    counts["total"] = sum(counts[s] for s in Stance.values)
    return counts


def post_data(post: Post) -> dict:
    return {
        "id": post.pk,
        "parent": post.parent_id,
        "created_at": post.created_at.isoformat(timespec="milliseconds"),
        "seconds": post.seconds_count,
        "hidden": post.hidden,
        "deleted": post.deleted,
        "version": post_version(post),
    }


def post_version(post: Post) -> str:
    """Changes whenever what a reader sees of the post (apart from seconds) changes."""
    # Same shape as data-version in includes/post_body.html.
    edited = str(int(post.edited_at.timestamp())) if post.edited_at else ""
    return f"{edited}|{int(post.hidden)}|{int(post.deleted)}"


def post_event(post: Post, kind: str) -> dict:
    return {"kind": kind, "post": post_data(post), "counts": stance_counts(post.hall_id)}


def _hall(key: str) -> HallPage | None:
    if not key.isdigit():
        return None
    return HallPage.objects.live().filter(pk=int(key)).select_related("community").first()


def _authorize(user, key: str) -> bool:
    from .rules import may_read

    hall = _hall(key)
    return hall is not None and may_read(user, hall)


def _snapshot(user, key: str) -> dict:
    hall_id = int(key)
    posts = (
        Post.objects.visible()
        .filter(hall_id=hall_id)
        .order_by("-created_at", "-id")
        .only("id", "parent_id", "created_at", "seconds_count", "hidden", "deleted", "edited_at")
    )[:SNAPSHOT_POSTS]
    return {"counts": stance_counts(hall_id), "posts": [post_data(p) for p in posts]}


live.register("hall", authorize=_authorize, snapshot=_snapshot)
