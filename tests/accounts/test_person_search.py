"""Find a person from the admin index: by AHV number (with or without dots), name (case and
accents aside), e-mail, policy number or personnel number; every search audited, the AHV
number masked; bad input answered with a message, never a 500."""

from __future__ import annotations

import pytest

from accounts.models import AdminAudit
from tests import factories as f

pytestmark = pytest.mark.django_db

FIND = "/admin/accounts/user/find/"


def _find(client, q):
    return client.get(FIND, {"q": q})


def _results(response) -> str:
    page = response.content.decode()
    assert response.status_code == 200
    return page.split('id="result_list"', 1)[1] if 'id="result_list"' in page else ""


@pytest.fixture
def claire(insured):
    person = insured.insured_person
    person.personnel_number = "R-4711"
    person.save()
    return insured


def _person_link(user) -> str:
    return f'href="/admin/accounts/user/{user.pk}/person/"'


def test_the_index_shows_the_search_box_to_whoever_may_find_a_person(as_user, agent):
    page = as_user(agent).get("/admin/").content.decode()
    assert f'action="{FIND}"' in page and 'name="q"' in page
    assert "Rechercher une personne" in page


def test_the_index_hides_the_search_box_from_staff_without_the_duty(as_user, terms):
    from django.contrib.auth.models import Permission

    from tests.conftest import _make

    clerk = _make(f.UserFactory(email="reader@example.ch", is_staff=True))
    clerk.user_permissions.add(Permission.objects.get(codename="view_user"))
    client = as_user(clerk)
    assert f'action="{FIND}"' not in client.get("/admin/").content.decode()
    assert _find(client, "Favre").status_code == 403
    assert AdminAudit.objects.filter(actor=clerk, action="refused", path=FIND).exists()


@pytest.mark.parametrize("typed", ["{dotted}", "{plain}", " {spaced} "])
def test_it_finds_by_ahv_number_with_or_without_dots(as_user, agent, claire, typed):
    ahv = claire.insured_person.ahv_number
    typed = typed.format(dotted=ahv, plain=ahv.replace(".", ""), spaced=ahv.replace(".", " "))
    results = _results(_find(as_user(agent), typed))
    assert _person_link(claire) in results
    assert "756.****.****." + ahv[-2:] in results
    assert ahv not in results  # the full number is not repeated in the list


def test_an_ahv_search_is_audited_with_the_number_masked(as_user, agent, claire):
    ahv = claire.insured_person.ahv_number
    _find(as_user(agent), ahv.replace(".", ""))
    row = AdminAudit.objects.get(action="search")
    assert row.actor == agent and row.name == "find_person"
    assert row.detail["query"] == "756.****.****." + ahv[-2:]
    assert row.detail["keys"] == ["ahv"] and row.detail["results"] == 1
    assert ahv.replace(".", "") not in str(row.detail) and ahv not in str(row.detail)


@pytest.mark.parametrize("typed", ["Favre", "favre claire", "CLAIRE", "Fav"])
def test_it_finds_by_name(as_user, agent, claire, typed):
    assert _person_link(claire) in _results(_find(as_user(agent), typed))


@pytest.mark.parametrize("typed", ["Hélène Müller", "helene muller", "MULLER", "Mùller"])
def test_names_are_found_whatever_the_accents(as_user, agent, typed):
    person = f.InsuredPersonFactory(first_name="Hélène", last_name="Müller")
    results = _results(_find(as_user(agent), typed))
    assert f'href="/admin/policies/insuredperson/{person.pk}/person/"' in results
    assert "Pas de compte" in results  # no account yet: the person page of the insured person


def test_it_finds_by_email_any_case(as_user, agent, claire, hr_admin):
    results = _results(_find(as_user(agent), "CLAIRE@Example.ch"))
    assert _person_link(claire) in results
    assert _person_link(hr_admin) not in results


def test_it_finds_employer_and_broker_users_by_email_and_name(as_user, agent, hr_admin, broker):
    client = as_user(agent)
    hr_results = _results(_find(client, "hr@example.ch"))
    assert _person_link(hr_admin) in hr_results
    assert "Administrateur·trice RH · Boulangerie Test SA" in hr_results
    broker.first_name, broker.last_name = "Bruno", "Brunner"
    broker.save()
    assert _person_link(broker) in _results(_find(client, "brunner"))


def test_it_finds_by_personnel_number(as_user, agent, claire):
    results = _results(_find(as_user(agent), "r-4711"))
    assert _person_link(claire) in results
    assert "N° de personnel" in results


@pytest.mark.parametrize("typed", ["P-800777", "p 800 777", "800777"])
def test_it_finds_a_policy_holder_and_the_broker_in_charge_by_policy_number(as_user, agent,
                                                                             broker, typed):
    from accounts.models import Membership

    agency = Membership.objects.get(user=broker).agency
    holder = f.PolicyHolderFactory(first_name="Paul", last_name="Preneur")
    policy = f.PolicyFactory(number="P-800777", holder=holder)
    f.MandateFactory(agency=agency, policy=policy, broker=broker)
    results = _results(_find(as_user(agent), typed))
    assert "Preneur Paul" in results and "Police P-800777" in results
    assert _person_link(broker) in results


def test_an_account_and_its_insured_person_are_one_row(as_user, agent, claire):
    results = _results(_find(as_user(agent), "Favre"))
    assert results.count(_person_link(claire)) == 1
    assert f"/admin/policies/insuredperson/{claire.insured_person.pk}/person/" not in results


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Saisissez un numéro AVS"),
    ("   ", "Saisissez un numéro AVS"),
    ("x" * 10_000, "Recherche trop longue"),
    ("756.3047.5009.63", "chiffre de contrôle"),
    ("%%% ***", "Rien à chercher"),
    ("\x00\x01", "Saisissez un numéro AVS"),
])
def test_bad_input_gets_a_message_not_a_500(as_user, agent, claire, typed, message):
    response = _find(as_user(agent), typed)
    assert response.status_code == 200
    assert message in response.content.decode()
    row = AdminAudit.objects.get(action="search")
    assert row.detail["refused"] is True and len(row.detail["query"]) <= 100


@pytest.mark.parametrize("typed", ["' OR 1=1 --", "Favre'; DROP TABLE accounts_user; --",
                                   "%", "_", "a_b%c", "Robert'); --"])
def test_sql_fragments_find_nothing_and_break_nothing(as_user, agent, claire, typed):
    response = _find(as_user(agent), typed)
    assert response.status_code == 200
    assert _person_link(claire) not in _results(response)
    assert claire.__class__.objects.filter(pk=claire.pk).exists()


def test_a_wildcard_does_not_list_everybody(as_user, agent, claire, other_insured):
    response = _find(as_user(agent), "%%")
    assert _person_link(claire) not in response.content.decode()
    assert _person_link(other_insured) not in response.content.decode()


def test_the_search_page_without_a_query_shows_the_box_and_records_nothing(as_user, agent):
    response = as_user(agent).get(FIND)
    assert response.status_code == 200 and 'name="q"' in response.content.decode()
    assert not AdminAudit.objects.filter(action="search").exists()


def test_many_hits_are_capped_with_a_hint(as_user, agent):
    contract = f.ContractFactory()
    for n in range(55):
        f.InsuredPersonFactory(contract=contract, first_name="Zoé", last_name=f"Zumbach{n}")
    page = _find(as_user(agent), "zumbach").content.decode()
    assert "50 personnes trouvées" in page and "précisez la recherche" in page


def test_the_search_runs_a_bounded_number_of_queries(as_user, agent, django_assert_max_num_queries):
    contract = f.ContractFactory()
    for n in range(30):
        person = f.InsuredPersonFactory(contract=contract, last_name=f"Zaugg{n}")
        user = f.UserFactory(email=f"z{n}@example.ch", insured_person=person)
        f.MembershipFactory(user=user, kind="insured", role="insured", insured_person=person)
    client = as_user(agent)
    with django_assert_max_num_queries(22):  # 20 today, for 3 rows as for 30
        assert _find(client, "zaugg").status_code == 200
