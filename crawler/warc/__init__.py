"""WARC capture: every response as the server sent it, written with warcio.

``capture`` records responses from a downloader middleware, ``repair`` mends a
torn file tail at start-up, ``verify`` checks digests and coverage, and
``reextract`` turns the captures back into archive records without the site.
"""
