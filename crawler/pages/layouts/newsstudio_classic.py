"""NewsStudio, classic template (family A): the ``docDiv*`` ids.

The printed story 406025 and older sibling sites: the title in
``#docDiv3TitrMain`` (an ``h1``, on older pages a ``div``), the date line in
``#docDiv3Date`` (English, or Jalali with Persian digits), the code beside a
"Story Code" label, ``dcterms.created`` in ISO or ``2018-03-17 10:12:39 GMT``.
"""

from __future__ import annotations

from typing import ClassVar

from crawler.pages.base import Evidence, StoryPage, slots


class NewsStudioClassic(StoryPage):
    name = "newsstudio-classic"
    title_slots = slots("#docDiv3TitrMain")
    body_slots = slots("#doctextarea", ".docContentdiv")
    evidence: ClassVar[Evidence] = {"title": title_slots, "body": body_slots}
    code_slots = slots("#docDocID", "#docDiv5InfoCode")
    date_slots = slots("#docDiv3Date", ".doc_date")
    kicker_slots = slots("#docDiv3TitrRou")
    lead_slots = slots("#docDivLead1")
    section_slots = slots(".doc-section-info a")
    tag_slots = slots(".doc_tags1 a")
    lead_image_slots = slots(".doc-image img", "#docDivLead1 img")
