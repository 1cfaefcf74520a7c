"""IranSamaneh, classic template (family B).

``h1.title`` (often around a link to the story), the toolbar's
``.news_pdate_c`` and ``.news_id_c`` (each may hold a label span; Persian
editions read ``۰۹ مهر ۱۴۰۵ - ۱۵:۴۵``), the body in ``.body`` or
``.news_body``. Listing pages (``/fa/archive``) share the template but have
no story body, so they are not this layout.
"""

from __future__ import annotations

from typing import ClassVar

from crawler.pages.base import Evidence, StoryPage, slots


class IranSamaneh(StoryPage):
    name = "iransamaneh"
    title_slots = slots("h1.title")
    body_slots = slots(".news_body", ".body")
    code_slots = slots(".news_id_c")
    date_slots = slots(".news_pdate_c")
    evidence: ClassVar[Evidence] = {
        "title": title_slots,
        "body": body_slots,
        "toolbar": date_slots + code_slots,
    }
    kicker_slots = slots(".rutitr")
    lead_slots = slots(".subtitle")
    section_slots = slots(".news_path a")
    tag_slots = slots(".tags_title ~ a", ".tags_container a", ".tags a")
    lead_image_slots = slots(".image_top img")
