"""StreamField blocks for notices: what staff can put in a notice body."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.contrib.table_block.blocks import TableBlock
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock


class ParagraphBlock(blocks.RichTextBlock):
    class Meta:
        icon = "pilcrow"
        label = _("Paragraph")
        template = "cms/blocks/paragraph.html"


class CaptionedImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=200)
    alt_text = blocks.CharBlock(
        label=_("Description for screen readers"),
        required=False,
        max_length=200,
        help_text=_("Say what the picture shows, for people who cannot see it."),
    )

    class Meta:
        icon = "image"
        label = _("Image with caption")
        template = "cms/blocks/captioned_image.html"
        preview_value = {"caption": "社区活动现场"}


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    title = blocks.CharBlock(label=_("Link text"), required=False, max_length=120)

    class Meta:
        icon = "doc-full"
        label = _("Document")
        template = "cms/blocks/document.html"


class CalloutBlock(blocks.StructBlock):
    tone = blocks.ChoiceBlock(
        label=_("Tone"),
        choices=[("info", _("Information")), ("warning", _("Warning"))],
        default="info",
    )
    text = blocks.RichTextBlock(label=_("Text"), features=["bold", "italic", "link"])

    class Meta:
        icon = "warning"
        label = _("Call-out")
        template = "cms/blocks/callout.html"
        preview_value = {"tone": "warning", "text": "<p>停水期间请关好水龙头。</p>"}


class NoticeTableBlock(TableBlock):
    class Meta:
        icon = "table"
        label = _("Table")
        template = "cms/blocks/table.html"


class NoticeBodyBlock(blocks.StreamBlock):
    paragraph = ParagraphBlock(features=["bold", "italic", "ol", "ul", "link", "h3"])
    image = CaptionedImageBlock()
    document = DocumentBlock()
    table = NoticeTableBlock()
    callout = CalloutBlock()
