"""User HTML keeps its formatting and loses everything that could run or track."""

import re

import pytest

from portal.sanitize import clean_html, plain_text

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    '<a href="java\tscript:alert(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<div onmouseover="alert(1)">hover</div>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    "<details open ontoggle=alert(1)>",
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<input autofocus onfocus="alert(1)">',
    "<!--<img src=x onerror=alert(1)>-->",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<a href="https://example.org" onclick="alert(1)" target="_blank">ok</a>',
    "<template><script>alert(1)</script></template>",
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<style>body{background:red}</style>",
]

DANGEROUS = re.compile(
    r"<\s*(script|svg|iframe|img|object|embed|style|form|input|meta|base|link|math|details|body)"
    r"|\son\w+\s*=|javascript:|vbscript:|data:|style\s*=|target\s*=",
    re.IGNORECASE,
)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payload_is_neutralised(payload):
    cleaned = clean_html(payload)
    assert not DANGEROUS.search(cleaned), cleaned


def test_allowed_formatting_survives():
    source = (
        "<p>楼道<strong>漏水</strong>，<em>请尽快</em>维修</p>"
        "<ul><li>一</li></ul><ol><li>二</li></ol><p>a<br>b</p>"
    )
    assert clean_html(source) == source


def test_links_keep_safe_targets_and_get_nofollow_ugc_noopener():
    cleaned = clean_html('<a href="https://example.org/a?b=1">链接</a>')
    assert cleaned == '<a href="https://example.org/a?b=1" rel="nofollow ugc noopener">链接</a>'
    assert 'href="tel:13800000000"' in clean_html('<a href="tel:13800000000">电话</a>')
    assert 'href="mailto:a@example.org"' in clean_html('<a href="mailto:a@example.org">信</a>')


def test_a_supplied_rel_cannot_weaken_the_policy():
    cleaned = clean_html('<a href="https://example.org" rel="opener">x</a>')
    assert 'rel="nofollow ugc noopener"' in cleaned
    assert 'opener"' not in cleaned.replace("noopener", "")


def test_disallowed_tags_are_unwrapped_but_script_content_is_dropped():
    assert clean_html("<h1>标题</h1><div>正文</div>") == "标题正文"
    assert clean_html("前<script>alert(1)</script>后") == "前后"


def test_plain_text_sees_through_markup_and_whitespace():
    assert plain_text("<p> &nbsp; </p><p><br></p>") == ""
    assert plain_text("<b>水 &amp; 电</b>") == "水 & 电"
