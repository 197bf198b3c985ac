"""complaint: is the post a complaint? Trained on data/labelled/complaints.jsonl."""

from __future__ import annotations

from bot.core.labels import Labels
from classifiers.heads.base import Batch, LabelledFile, TrainedHead
from classifiers.heads.found import Found

COMPLAINTS = LabelledFile(name="complaints", stratify="complaint", held_out=0.2, passes=2)


class ComplaintHead(TrainedHead):
    """P(complaint) from this head alone; a complaint when >= 0.5.

    Severity 0 also means "not a complaint", but its head is trained class-weighted, which raises
    its grades 1-4 at the expense of 0: averaging it in called 228 of 552 held-out tweets
    complaints (197 are), 0.841 macro-F1 against 0.880 for this head alone (fp32).
    """

    name = "complaint"
    label = "complaint"
    classes = (False, True)
    data = COMPLAINTS

    def read(self, batch: Batch) -> list[Found]:
        found = []
        for i in range(len(batch.texts)):
            p_complaint = float(batch.probs["complaint"][i, 1])
            confidence = {"complaint": max(p_complaint, 1 - p_complaint)}
            found.append(Found(complaint=p_complaint >= 0.5, complaint_score=p_complaint, confidence=confidence))
        return found

    @classmethod
    def parse(cls, value: object, where: str) -> object:
        if isinstance(value, str):
            value = value.strip().lower() in ("true", "1", "yes")
        return None if value is None else bool(value)

    @classmethod
    def predicted(cls, labels: Labels) -> object:
        return labels.complaint


HEAD = ComplaintHead
