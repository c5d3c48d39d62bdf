from django.utils.translation import gettext_lazy as _
from wagtail import blocks


class ParagraphBlock(blocks.RichTextBlock):
    class Meta:
        icon = "pilcrow"
        label = _("Paragraph")
        template = "cms/blocks/paragraph.html"


class NoticeBodyBlock(blocks.StreamBlock):
    paragraph = ParagraphBlock(features=["bold", "italic", "ol", "ul", "link", "h3"])
