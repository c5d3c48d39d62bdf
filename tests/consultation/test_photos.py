"""Photos on posts: what is accepted, how it is stored, and who sees it."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from consultation import services
from consultation.models import Post, PostPhoto, Stance

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    # Every test writes into its own empty MEDIA_ROOT, so "no files left" can be checked.
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


def files_in(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def jpeg_with_gps(size=(2400, 1200), name="roof.jpg") -> SimpleUploadedFile:
    image = Image.new("RGB", size, (180, 90, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (42.0, 17.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (123.0, 50.0, 10.0)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def png(size=(300, 200), name="stairs.png", mode="RGB") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def gif() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("P", (10, 10)).save(buffer, format="GIF")
    return SimpleUploadedFile("wall.gif", buffer.getvalue(), content_type="image/gif")


def publish(site, photos, user=None, **kwargs) -> Post:
    return services.publish_post(
        user=user or site.alice,
        hall=site.hall,
        body="<p>楼顶这里漏雨。</p>",
        stance=Stance.SUGGESTION,
        photos=photos,
        **kwargs,
    )


def assert_nothing_stored(media_root: Path) -> None:
    assert not Post.objects.exists()
    assert not PostPhoto.objects.exists()
    assert files_in(media_root) == []


def test_two_valid_photos_are_stored_reencoded_without_exif_and_at_most_1600px(site, media_root):
    upload = jpeg_with_gps()
    with Image.open(io.BytesIO(upload.read())) as original:
        # The test photo really carries a location before upload.
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    upload.seek(0)

    post = publish(site, [upload, png()])

    photos = list(post.photos.all())
    assert len(photos) == 2
    for photo in photos:
        assert photo.image.name.startswith("hall-photos/")
        assert "roof" not in photo.image.name  # the resident's file name is not kept
        path = Path(photo.image.path)
        assert path.is_file() and media_root in path.parents
        with Image.open(path) as stored:
            assert not stored.getexif()
            assert "exif" not in stored.info
            assert max(stored.size) <= 1600
            assert stored.size == (photo.width, photo.height)
        assert b"TestCam" not in path.read_bytes()
    assert (photos[0].width, photos[0].height) == (1600, 800)
    assert photos[0].image.name.endswith(".jpg") and photos[1].image.name.endswith(".png")


def test_webp_is_accepted(site):
    buffer = io.BytesIO()
    Image.new("RGB", (50, 40)).save(buffer, format="WEBP")
    post = publish(site, [SimpleUploadedFile("a.webp", buffer.getvalue())])
    assert post.photos.get().image.name.endswith(".webp")


def test_a_reply_can_carry_photos(site):
    top = publish(site, [])
    reply = publish(site, [png()], user=site.bob, parent=top)
    assert reply.photos.count() == 1


def test_existing_callers_without_photos_still_work(site, media_root):
    post = services.publish_post(user=site.alice, hall=site.hall, body="先修", stance=Stance.FOR)
    assert post.pk and not post.photos.exists()
    assert files_in(media_root) == []


def test_more_than_three_photos_are_refused_and_nothing_is_stored(site, media_root):
    with pytest.raises(ValidationError, match="at most 3 photos"):
        publish(site, [png(name=f"{i}.png") for i in range(4)])
    assert_nothing_stored(media_root)


@pytest.mark.parametrize(
    "upload",
    [
        pytest.param(SimpleUploadedFile("roof.jpg", b"just some text, not a photo"), id="text"),
        pytest.param(
            SimpleUploadedFile(
                "roof.jpg",
                b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            ),
            id="svg-as-jpg",
        ),
        pytest.param(
            SimpleUploadedFile("roof.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>'), id="svg"
        ),
        pytest.param(gif(), id="gif"),
        pytest.param(
            # A real JPEG header cut short: looks like a photo, cannot be decoded.
            SimpleUploadedFile("cut.jpg", jpeg_with_gps().read()[:400]),
            id="truncated-jpeg",
        ),
    ],
)
def test_a_file_that_is_not_a_jpeg_png_or_webp_is_refused_and_nothing_is_stored(
    site, media_root, upload
):
    # The good photo comes first: it must not be stored when a later one is refused.
    with pytest.raises(ValidationError, match="not a photo we can accept"):
        publish(site, [png(), upload])
    assert_nothing_stored(media_root)


def test_a_photo_over_5_mb_is_refused_and_nothing_is_stored(site, media_root):
    # Random noise does not compress, so this real PNG is larger than 5 MB.
    noise = Image.frombytes("RGB", (1300, 1400), os.urandom(1300 * 1400 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    assert len(buffer.getvalue()) > 5 * 1024 * 1024
    with pytest.raises(ValidationError, match="larger than 5 MB"):
        publish(site, [SimpleUploadedFile("big.png", buffer.getvalue())])
    assert_nothing_stored(media_root)


def test_a_photo_with_too_many_pixels_is_refused_before_decoding(site, media_root):
    # A tiny file that would decode into 64 megapixels.
    with pytest.raises(ValidationError, match="too many pixels"):
        publish(site, [png(size=(8000, 8000), mode="1")])
    assert_nothing_stored(media_root)


def test_files_already_written_are_removed_when_the_post_fails_afterwards(
    site, media_root, monkeypatch
):
    saved = []
    real_save = PostPhoto.save

    def failing_second_save(self, *args, **kwargs):
        # The second photo's file is written, then its row fails to save.
        if saved:
            raise RuntimeError("database went away")
        saved.append(self)
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(PostPhoto, "save", failing_second_save)
    with pytest.raises(RuntimeError):
        publish(site, [png(name="a.png"), png(name="b.png")])
    assert_nothing_stored(media_root)


def test_a_refused_post_stores_no_photos(site, media_root):
    with pytest.raises(ValidationError):
        services.publish_post(
            user=site.alice, hall=site.hall, body="   ", stance=Stance.FOR, photos=[png()]
        )
    assert_nothing_stored(media_root)


def test_a_hidden_post_does_not_show_its_photos(client, site):
    post = publish(site, [png()])
    url = post.photos.get().image.url
    client.force_login(site.bob)
    assert url in client.get(site.hall.get_url()).content.decode()

    services.hide_post(actor=site.staff, post_id=post.pk, reason="照片里有门牌号")
    html = client.get(site.hall.get_url()).content.decode()
    assert "Hidden by a moderator" in html
    assert url not in html and 'class="post-photos"' not in html


def test_deleting_a_post_removes_its_photos_after_commit(
    client, site, media_root, django_capture_on_commit_callbacks
):
    post = publish(site, [png()])
    url = post.photos.get().image.url
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_post(user=site.alice, post_id=post.pk)
    assert not PostPhoto.objects.exists()
    assert files_in(media_root) == []
    client.force_login(site.bob)
    assert url not in client.get(site.hall.get_url()).content.decode()


def test_resident_attaches_photos_through_the_multipart_form(client, site, media_root):
    client.force_login(site.alice)
    page = client.get(site.hall.get_url()).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'name="photos" accept="image/jpeg,image/png,image/webp" multiple' in page
    assert "Photos (optional)" in page

    response = client.post(
        f"/halls/{site.hall.pk}/posts/",
        {"stance": "suggestion", "body": "漏点在这里", "photos": [jpeg_with_gps(), png()]},
    )
    post = Post.objects.get()
    assert response.status_code == 302
    assert post.photos.count() == 2

    html = client.get(site.hall.get_url()).content.decode()
    first = post.photos.first()
    assert f'<a href="{first.image.url}"><img src="{first.image.url}"' in html
    assert 'loading="lazy"' in html
    assert 'alt="Photo 1 by Alice"' in html and 'alt="Photo 2 by Alice"' in html


def test_refused_photo_over_http_shows_the_reason_and_stores_nothing(client, site, media_root):
    client.force_login(site.alice)
    client.post(
        f"/halls/{site.hall.pk}/posts/",
        {
            "stance": "for",
            "body": "看图",
            "photos": [SimpleUploadedFile("roof.jpg", b"not really a photo")],
        },
    )
    assert_nothing_stored(media_root)
    html = client.get(site.hall.get_url()).content.decode()
    assert "is not a photo we can accept" in html
    assert "看图" in html  # the text they wrote is kept as a draft
