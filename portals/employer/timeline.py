"""A mutation's timeline with the toolkit's status_timeline: submitted -> in review -> booked,
the last step replaced by "rejected" (with the reason) or, when the employer took it back,
submitted -> withdrawn."""

from __future__ import annotations

from django.db import models

from policies.models import Mutation
from portals.common.timeline import Step, status_timeline

S = Mutation.Status


class MutationPath(models.TextChoices):
    SUBMITTED = S.SUBMITTED.value, S.SUBMITTED.label
    IN_REVIEW = S.IN_REVIEW.value, S.IN_REVIEW.label
    BOOKED = S.BOOKED.value, S.BOOKED.label
    REJECTED = S.REJECTED.value, S.REJECTED.label


class WithdrawnPath(models.TextChoices):
    SUBMITTED = S.SUBMITTED.value, S.SUBMITTED.label
    WITHDRAWN = S.WITHDRAWN.value, S.WITHDRAWN.label


def mutation_steps(mutation: Mutation) -> list[Step]:
    events = mutation.events.all()
    if mutation.status == S.WITHDRAWN:
        return status_timeline(WithdrawnPath, status=mutation.status, events=events,
                               failure=S.WITHDRAWN)
    return status_timeline(MutationPath, status=mutation.status, events=events)
