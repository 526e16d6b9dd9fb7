"""The mutations' work queue in the admin: open items first and oldest first, filters by state,
age in working days, kind and company; booking and rejecting (with a reason) only for the
colleagues whose duty it is; the employer told in their language; nothing half-applied; each
decision in the audit trail."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.duties import ACCOUNT_MANAGER
from accounts.models import AdminAudit, OutboxMessage
from policies import services
from policies.models import InsuredPerson, Mutation, MutationEvent, SalaryRecord
from tests import factories as f
from tests.conftest import _make, login_verified

pytestmark = pytest.mark.django_db

QUEUE = "/admin/policies/mutation/"
# Wednesday after Easter 2026: Good Friday (3 April) and Easter Monday (6 April) are holidays
# in the canton of Vaud, so they do not count as working days.
TODAY = date(2026, 4, 8)


@pytest.fixture
def pinned_today(monkeypatch):
    """The queues' "today" (working days are counted up to it)."""
    from policies import working_days

    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr(working_days.timezone, "localdate", localdate)
    return TODAY


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def company(employer):
    return f.ContractFactory(employer=employer)


@pytest.fixture
def person(company):
    return f.InsuredPersonFactory(contract=company, first_name="Léa", last_name="Rochat",
                                  annual_salary=Decimal("85000"))


def _salary(employer, person, by, *, salary="90000.00", created=None) -> Mutation:
    mutation = services.mutation_submit(
        employer=employer, kind="salary", effective_date=date(2026, 1, 1),
        data={"annual_salary": salary}, person=person, submitted_by=by)
    if created is not None:
        Mutation.objects.filter(pk=mutation.pk).update(created_at=created)
        mutation.refresh_from_db()
    return mutation


@pytest.fixture
def mutation(employer, person, hr_admin):
    return _salary(employer, person, hr_admin)


def _cases(response) -> list[str]:
    return [row.case_number for row in response.context["cl"].result_list]


def _book(client, mutation, **extra):
    return client.post(QUEUE, {"action": "book", "_selected_action": [mutation.pk], **extra},
                       follow=True)


def _reject(client, mutation, reason=None):
    data = {"action": "reject", "_selected_action": [mutation.pk]}
    if reason is not None:
        data.update({"post": "yes", "reason": reason})
    return client.post(QUEUE, data, follow=True)


# --- the queue --------------------------------------------------------------------------------

def test_the_queue_shows_open_mutations_oldest_first(as_user, account_manager, employer, person,
                                                     hr_admin):
    newer = _salary(employer, person, hr_admin, created=timezone.now() - timedelta(days=1))
    older = _salary(employer, person, hr_admin, created=timezone.now() - timedelta(days=8))
    decided = _salary(employer, person, hr_admin, created=timezone.now() - timedelta(days=30))
    services.mutation_reject(mutation=decided, by=account_manager, reason="Doublon")

    response = as_user(account_manager).get(QUEUE)

    assert _cases(response) == [older.case_number, newer.case_number]
    everything = as_user(account_manager).get(QUEUE, {"state": "all"})
    assert decided.case_number in _cases(everything)
    closed = as_user(account_manager).get(QUEUE, {"state": "rejected"})
    assert _cases(closed) == [decided.case_number]


def test_the_age_filter_counts_working_days_without_the_cantons_holidays(
        as_user, account_manager, employer, person, hr_admin, pinned_today):
    tuesday = _salary(employer, person, hr_admin, created=_at(date(2026, 4, 7)))
    before_easter = _salary(employer, person, hr_admin, created=_at(date(2026, 4, 2)))
    a_week = _salary(employer, person, hr_admin, created=_at(date(2026, 4, 1)))
    march = _salary(employer, person, hr_admin, created=_at(date(2026, 3, 20)))
    client = as_user(account_manager)

    # Thursday 2 April -> Wednesday 8 April: Tuesday and Wednesday only (Friday and Monday
    # are Easter holidays, then a weekend), so 2 working days: not "more than 2".
    assert _cases(client.get(QUEUE, {"age": "2"})) == [march.case_number, a_week.case_number]
    assert _cases(client.get(QUEUE, {"age": "5"})) == [march.case_number]
    assert _cases(client.get(QUEUE, {"age": "10"})) == [march.case_number]
    page = client.get(QUEUE)
    assert _cases(page) == [march.case_number, a_week.case_number, before_easter.case_number,
                            tuesday.case_number]
    waiting = {row.case_number: page.context["cl"].model_admin.waiting(row)
               for row in page.context["cl"].result_list}
    assert waiting == {march.case_number: 11, a_week.case_number: 3,
                       before_easter.case_number: 2, tuesday.case_number: 1}


def test_the_kind_and_company_filters(as_user, account_manager, employer, person, hr_admin,
                                      other_employer, other_employer_hr):
    salary = _salary(employer, person, hr_admin)
    elsewhere = f.InsuredPersonFactory(contract=f.ContractFactory(employer=other_employer))
    exit_ = services.mutation_submit(employer=other_employer, kind="exit",
                                     effective_date=date(2026, 6, 30), data={},
                                     person=elsewhere, submitted_by=other_employer_hr)
    client = as_user(account_manager)

    assert _cases(client.get(QUEUE, {"kind__exact": "exit"})) == [exit_.case_number]
    assert _cases(client.get(QUEUE, {"company": str(employer.pk)})) == [salary.case_number]
    page = client.get(QUEUE).content.decode()
    assert f"?company={employer.pk}" in page and f"?company={other_employer.pk}" in page
    # A company without open mutations is not offered.
    quiet = f.EmployerFactory(name="Entreprise Calme SA")
    assert quiet.name not in page


@pytest.mark.parametrize("query", [{"state": "nonsense"}, {"age": "7"}, {"age": "-1"},
                                   {"company": "abc"}, {"company": "9" * 40}])
def test_odd_filter_values_show_the_open_queue_never_an_error(as_user, account_manager,
                                                              mutation, query):
    response = as_user(account_manager).get(QUEUE, query)
    assert response.status_code == 200
    assert mutation.case_number in _cases(response)


def test_undeclared_lookups_are_still_refused(as_user, account_manager, mutation):
    response = as_user(account_manager).get(QUEUE, {"reason__contains": "a"})
    assert response.status_code == 400


# --- who may decide ---------------------------------------------------------------------------

@pytest.mark.parametrize("persona", ["account_manager", "supervisor"])
def test_the_colleagues_whose_duty_it_is_see_the_decisions(request, as_user, mutation, persona):
    client = as_user(request.getfixturevalue(persona))
    actions = dict(client.get(QUEUE).context["action_form"].fields["action"].choices)
    assert {"review", "book", "reject"} <= set(actions)
    page = client.get(f"{QUEUE}{mutation.pk}/change/").content.decode()
    assert 'value="book"' in page and 'value="reject"' in page


def test_an_agent_sees_the_queue_but_no_decision(as_user, agent, mutation):
    client = as_user(agent)
    response = client.get(QUEUE)
    assert response.status_code == 200 and mutation.case_number in _cases(response)
    assert 'name="action"' not in response.content.decode()  # no decision to choose
    page = client.get(f"{QUEUE}{mutation.pk}/change/").content.decode()
    assert 'value="book"' not in page


@pytest.mark.parametrize("action", ["book", "reject", "review"])
def test_an_agent_posting_a_decision_gets_403_changes_nothing_and_is_audited(
        as_user, agent, mutation, person, action):
    response = as_user(agent).post(QUEUE, {"action": action, "_selected_action": [mutation.pk],
                                           "post": "yes", "reason": "Non"})
    assert response.status_code == 403
    mutation.refresh_from_db()
    person.refresh_from_db()
    assert mutation.status == "submitted" and person.annual_salary == Decimal("85000")
    assert not OutboxMessage.objects.exists()
    row = AdminAudit.objects.get(action="refused")
    assert row.actor == agent and row.path == QUEUE


def test_staff_without_any_duty_gets_403_on_the_queue(client, terms, mutation):
    nobody = _make(f.UserFactory(email="nobody@fund.ch", is_staff=True))
    assert login_verified(client, nobody).get(QUEUE).status_code == 403


# --- booking ----------------------------------------------------------------------------------

def test_booking_applies_the_change_tells_the_employer_in_their_language_and_is_audited(
        as_user, account_manager, mutation, person, hr_admin):
    hr_admin.language = "de"
    hr_admin.save()

    response = _book(as_user(account_manager), mutation)

    assert "1 mutation enregistrée" in response.content.decode()
    mutation.refresh_from_db()
    person.refresh_from_db()
    assert mutation.status == "booked" and person.annual_salary == Decimal("90000.00")
    assert SalaryRecord.objects.filter(person=person, mutation=mutation).count() == 1
    mail = OutboxMessage.objects.get(recipient=hr_admin.email)
    assert mail.subject == f"Ihre Mutation {mutation.case_number}: Erfasst"
    assert mutation.case_number in mail.body and "90" not in mail.body.replace(
        mutation.case_number, "")
    row = AdminAudit.objects.get(name="mutation_book")
    assert (row.action, row.actor, row.target_id) == ("action", account_manager,
                                                      str(mutation.pk))
    assert row.detail == {"outcome": "done"}
    # ... beside the row the admin writes for the action itself.
    assert AdminAudit.objects.get(name="book").detail["selected"] == [str(mutation.pk)]


def test_an_item_a_colleague_booked_meanwhile_is_reported_not_booked_twice(
        as_user, account_manager, supervisor, mutation, person):
    services.mutation_book(mutation=mutation, by=supervisor)  # the colleague was faster

    response = _book(as_user(account_manager), mutation)

    assert response.status_code == 200
    assert "déjà traité par un·e collègue (Enregistrée)" in response.content.decode()
    assert SalaryRecord.objects.filter(person=person).count() == 1
    assert MutationEvent.objects.filter(mutation=mutation, status="booked").count() == 1
    assert OutboxMessage.objects.count() == 1


def test_a_booking_that_cannot_apply_is_refused_with_its_reason_and_audited(
        as_user, account_manager, employer, hr_admin, company):
    active = f.InsuredPersonFactory(contract=company)
    entry = services.mutation_submit(
        employer=employer, kind="entry", effective_date=date(2026, 5, 1),
        data={"ahv": active.ahv_number, "first_name": "Paul", "last_name": "Double",
              "birth_date": "1980-01-01", "sex": "M", "annual_salary": "70000"},
        person=None, submitted_by=hr_admin)

    response = _book(as_user(account_manager), entry)

    assert "déjà assurée et active" in response.content.decode()
    entry.refresh_from_db()
    active.refresh_from_db()
    assert entry.status == "submitted" and active.last_name != "Double"
    assert AdminAudit.objects.get(name="mutation_book").action == "refused"


def test_a_booking_failing_halfway_leaves_nothing_applied(account_manager, mutation, person,
                                                          monkeypatch):
    # The person is saved, then the salary history fails: the whole booking rolls back.
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_salary_record", broken)
    with pytest.raises(RuntimeError):
        services.mutation_book(mutation=mutation, by=account_manager)
    person.refresh_from_db()
    mutation.refresh_from_db()
    assert person.annual_salary == Decimal("85000")
    assert mutation.status == "submitted" and mutation.decided_at is None
    assert not MutationEvent.objects.filter(status="booked").exists()
    assert not OutboxMessage.objects.exists()


def test_the_decisions_are_offered_only_while_the_mutation_is_open(as_user, account_manager,
                                                                   mutation):
    client = as_user(account_manager)
    services.mutation_review(mutation=mutation, by=account_manager)
    page = client.get(f"{QUEUE}{mutation.pk}/change/").content.decode()
    assert 'value="review"' not in page and 'value="book"' in page
    services.mutation_book(mutation=mutation, by=account_manager)
    page = client.get(f"{QUEUE}{mutation.pk}/change/").content.decode()
    assert 'value="book"' not in page and 'value="reject"' not in page


# --- rejecting --------------------------------------------------------------------------------

def test_rejecting_first_asks_for_the_reason(as_user, account_manager, mutation):
    page = _reject(as_user(account_manager), mutation)
    body = page.content.decode()
    assert page.status_code == 200 and 'name="reason"' in body
    assert mutation.case_number in body
    mutation.refresh_from_db()
    assert mutation.status == "submitted"


@pytest.mark.parametrize("reason,message", [
    ("", "Ce champ est obligatoire."),
    ("   ", "Ce champ est obligatoire."),
    ("x" * 10_000, "au plus 2000 caractères (actuellement 10000)"),
])
def test_a_missing_or_overlong_reason_is_refused_with_a_message(as_user, account_manager,
                                                                mutation, reason, message):
    response = _reject(as_user(account_manager), mutation, reason=reason)
    assert response.status_code == 200
    assert message in response.content.decode()
    mutation.refresh_from_db()
    assert mutation.status == "submitted" and mutation.reason == ""
    assert not OutboxMessage.objects.exists()
    assert not AdminAudit.objects.filter(name="mutation_reject").exists()


def test_rejecting_with_a_reason_tells_the_employer_who_reads_it_in_the_portal(
        as_user, account_manager, mutation, hr_admin):
    hr_admin.language = "it"
    hr_admin.save()

    response = _reject(as_user(account_manager), mutation, reason="Salaire déjà annoncé en mars.")

    assert "1 mutation refusée" in response.content.decode()
    mutation.refresh_from_db()
    assert (mutation.status, mutation.reason) == ("rejected", "Salaire déjà annoncé en mars.")
    mail = OutboxMessage.objects.get(recipient=hr_admin.email)
    assert mail.subject == f"La vostra mutazione {mutation.case_number}: Rifiutata"
    assert "Salaire" not in mail.body  # support's free text stays in the portal
    row = AdminAudit.objects.get(name="mutation_reject")
    assert row.target_id == str(mutation.pk) and "Salaire" not in str(row.detail)
    portal = as_user(hr_admin).get(f"/employer/mutations/{mutation.pk}/").content.decode()
    assert "Salaire déjà annoncé en mars." in portal


# --- two colleagues at once (PostgreSQL) ------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_booking_and_rejecting_at_the_same_moment_decide_once(terms):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL")
    employer = f.EmployerFactory()
    person = f.InsuredPersonFactory(contract=f.ContractFactory(employer=employer))
    mutation = _salary(employer, person, None, salary="93000.00")
    colleagues = []
    for email in ("one@fund.ch", "two@fund.ch"):
        user = f.UserFactory(email=email, is_staff=True)
        user.groups.add(Group.objects.get(name=ACCOUNT_MANAGER))
        colleagues.append(user)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(user, book: bool) -> None:
        try:
            barrier.wait(timeout=30)
            if book:
                services.mutation_book(mutation=mutation, by=user)
            else:
                services.mutation_reject(mutation=mutation, by=user, reason="Doublon")
            outcomes.append("decided")
        except services.MutationNotOpen:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(colleagues[0], True)),
               threading.Thread(target=decide, args=(colleagues[1], False))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["decided", "refused"]
    final = Mutation.objects.get(pk=mutation.pk)
    assert final.events.exclude(status="submitted").count() == 1
    applied = InsuredPerson.objects.get(pk=person.pk).annual_salary == Decimal("93000.00")
    assert applied == (final.status == "booked")
    assert SalaryRecord.objects.filter(person=person).count() == (1 if applied else 0)


def test_the_queue_page_asks_the_same_queries_for_5_or_40_mutations(
        as_user, account_manager, employer, person, hr_admin):
    client = as_user(account_manager)
    client.get(QUEUE)  # the first page of a session also loads the session's permissions
    counts = []
    for total in (5, 40):
        while Mutation.objects.count() < total:
            _salary(employer, f.InsuredPersonFactory(contract=person.contract), hr_admin)
        with CaptureQueriesContext(connection) as queries:
            assert len(_cases(client.get(QUEUE))) == total
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 10


def test_more_items_than_one_decision_takes_are_refused_whole(as_user, account_manager,
                                                               employer, person, hr_admin):
    from accounts.admin_queue import DECISION_LIMIT

    ids = [_salary(employer, person, hr_admin).pk for _ in range(DECISION_LIMIT + 1)]
    response = as_user(account_manager).post(QUEUE, {"action": "book", "_selected_action": ids},
                                             follow=True)
    assert f"Choisissez au plus {DECISION_LIMIT} éléments à la fois." in response.content.decode()
    assert not Mutation.objects.filter(status="booked").exists()
