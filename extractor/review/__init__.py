"""The reviewer's desk: the review page of a result (:mod:`.page`), its form layout with the
form's own labels (:mod:`.fields`), page images (:mod:`.images`) and the queue of what needs
review (:mod:`.queue`)."""

from extractor.review.page import render_review
from extractor.review.queue import queue_entries, render_queue

__all__ = ["render_review", "render_queue", "queue_entries"]
