"""severity: 0 (not a complaint) to 4 (blame), Jin and Aletras. Trained on data/labelled/complaints.jsonl."""

from __future__ import annotations

from bot.core.labels import Labels
from classifiers.heads.base import Batch, TrainedHead
from classifiers.heads.complaint import COMPLAINTS
from classifiers.heads.found import Found, known

SEVERITY_NAMES = ("not a complaint", "no explicit reproach", "disapproval", "accusation", "blame")


class SeverityHead(TrainedHead):
    """Consistent with complaint: 0 for a non-complaint, else the most probable of 1-4 with grades equally likely.

    Its score is the calibrated probability of that grade among 1-4.
    """

    name = "severity"
    after = ("complaint",)
    label = "severity"
    classes = (0, 1, 2, 3, 4)
    data = COMPLAINTS
    balanced = True  # accusation and blame are a tenth of the complaints each: unweighted, it never said them

    def read(self, batch: Batch) -> list[Found]:
        found = []
        for i, before in enumerate(batch.found):
            if known(before.complaint, "complaint"):
                grade = int(batch.balanced["severity"][i, 1:].argmax()) + 1
                probs = batch.probs["severity"][i]
                score = float(probs[grade] / max(probs[1:].sum(), 1e-9))
            else:
                grade, score = 0, 1.0 - known(before.complaint_score, "complaint_score")
            found.append(Found(severity=grade, severity_score=score, confidence={"severity": score}))
        return found

    @classmethod
    def parse(cls, value: object, where: str) -> object:
        return None if value is None else int(value)  # type: ignore[call-overload]

    @classmethod
    def predicted(cls, labels: Labels) -> object:
        return labels.severity


HEAD = SeverityHead
