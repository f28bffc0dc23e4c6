"""Image rules (IMG3xx): pictures instead of words, heavy pictures, pictures fetched remotely."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.draft import Draft, Image
from preflight.lint.model import Hit, Location, Rule, Severity

MB = 1024 * 1024


def _shown(draft: Draft) -> list[Image]:
    """Images a reader sees: referenced by the HTML or carried as image parts (no spacers)."""
    return [
        img
        for img in draft.images
        if not (img.width is not None and img.height is not None and img.width * img.height <= 4)
    ]


def _ratio(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    images = _shown(draft)
    words = draft.word_count
    if images and words >= options["image_only_words"]:
        per_image = words / len(images)
        if per_image < options["min_words_per_image"]:
            yield Hit(f"{len(images)} images for {words} words", Location(part="html"))


def _image_only(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if _shown(draft) and draft.word_count < options["image_only_words"]:
        yield Hit(
            f"the message is pictures with {draft.word_count} words of text", Location(part="html")
        )


def _large(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    attached = {a.filename for a in draft.attachments if a.content_type.startswith("image/")}
    for img in draft.images:
        if img.size is not None and img.size > options["max_bytes"]:
            # An attached photo the buyer asked for is heavy; one shown in the body is severe.
            inline = img.src not in attached
            yield Hit(
                f"{'inline' if inline else 'attached'} image {img.src} is {img.size / MB:.1f} MB",
                Location(part="html" if inline else "attachment"),
                scale=1.0 if inline else options["attached_scale"],
            )


def _remote(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    remote = [img for img in _shown(draft) if img.remote]
    if remote:
        yield Hit(
            f"{len(remote)} image(s) loaded from the web, e.g. {remote[0].src[:80]}",
            Location(part="html"),
        )


def _first_contact(draft: Draft, options: Mapping[str, Any]) -> Iterator[Hit]:
    if not draft.is_first_contact(options["first_contact"]):
        return
    shown = _shown(draft)
    if shown:
        yield Hit(f"a first-contact mail with {len(shown)} image(s)", Location(part="html"))


RULES = [
    Rule(
        "IMG301",
        "image-text-ratio",
        "Many images for little text.",
        0.2,
        Severity.WARNING,
        "Say it in text; keep at most one image per 100 words.",
        _ratio,
        {"min_words_per_image": 40, "image_only_words": 20},
    ),
    Rule(
        "IMG302",
        "image-only",
        "The message is images with almost no text.",
        5.0,
        Severity.ERROR,
        "Write the message as text; filters cannot read pictures.",
        _image_only,
        {"image_only_words": 20},
    ),
    Rule(
        "IMG303",
        "image-too-large",
        "An image over 1 MB in the body (severe) or attached.",
        5.0,
        Severity.ERROR,
        "Compress or resize the image below 1 MB, or leave it out.",
        _large,
        {"max_bytes": 1 * MB, "attached_scale": 0.2},
    ),
    Rule(
        "IMG304",
        "image-remote",
        "Images loaded from a web server.",
        0.2,
        Severity.WARNING,
        "Leave images out of cold mail; remote images are blocked and look like tracking.",
        _remote,
    ),
    Rule(
        "IMG305",
        "image-first-contact",
        "Images in a first-contact mail.",
        0.1,
        Severity.INFO,
        "Send the first mail without images.",
        _first_contact,
        {"first_contact": True},
    ),
]
