"""The jurors' pictures: every rendition under the task's own URL (jury:image), never the
storage URL, which names the photo's public id (see jury/views_juror.py)."""

from __future__ import annotations

from django import template
from django.urls import reverse

from jury.selectors import JurorTask

register = template.Library()

SPECS = ("thumb", "display")


def _url(slug: str, task: JurorTask, spec: str, fmt: str) -> str:
    rendition = task.renditions[spec][fmt]
    return f"{reverse('jury:image', args=[slug, task.task_id, spec, fmt])}?v={rendition.pk}"


def _srcset(slug: str, task: JurorTask, fmt: str, specs: tuple[str, ...]) -> str:
    return ", ".join(
        f"{_url(slug, task, spec, fmt)} {task.renditions[spec][fmt].width}w"
        for spec in specs
        if fmt in task.renditions.get(spec, {})
    )


@register.simple_tag
def juror_srcset(slug: str, task: JurorTask | None, fmt: str = "webp") -> str:
    """The srcset of a photo's thumb and display in one format ("" when there is none)."""
    return _srcset(slug, task, fmt, SPECS) if task is not None else ""


@register.inclusion_tag("jury/juror/fragment_picture.html")
def juror_picture(
    slug: str, task: JurorTask, sizes: str = "100vw", thumb: bool = False, lazy: bool = False
) -> dict[str, object]:
    """A <picture> of the photo: WebP then JPEG, the thumb alone for lists."""
    specs = ("thumb",) if thumb else SPECS
    largest = next(
        (
            task.renditions[s]["jpeg"]
            for s in reversed(specs)
            if "jpeg" in task.renditions.get(s, {})
        ),
        None,
    )
    if largest is None:
        return {"missing": True}
    return {
        "webp": _srcset(slug, task, "webp", specs),
        "jpeg": _srcset(slug, task, "jpeg", specs),
        "src": _url(slug, task, largest.spec, "jpeg"),
        "width": largest.width,
        "height": largest.height,
        "alt": task.caption or task.title,
        "sizes": sizes,
        "lazy": lazy,
    }
