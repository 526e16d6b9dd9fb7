"""Simulations: pre-filled forms, engine results with chart and table, save, PDF, request."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from simulations.models import ServiceRequest, Simulation

pytestmark = pytest.mark.django_db


def test_retirement_form_is_prefilled_from_the_plan(as_user, insured):
    response = as_user(insured).get(reverse("insured:simulation-retirement"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="retirement_age"' in body and 'value="65"' in body
    assert "entre 58 et 70 ans" in body


def test_retirement_at_62_with_30_percent_capital_shows_chart_table_and_comparison(
        as_user, insured):
    response = as_user(insured).post(reverse("insured:simulation-retirement"),
                                     {"retirement_age": "62", "lump_sum_percent": "30"})
    assert response.status_code == 200
    result = response.context["result"]
    assert result["retirement_age"] == 62
    assert result["lump_sum_share"] == "0.300"
    assert [o["age"] for o in result["options"]] == list(range(58, 71))
    body = response.content.decode()
    assert "<svg" in body and 'role="img"' in body
    assert "<caption" in body  # the same figures as a table
    assert "Enregistrer la simulation" in body
    assert not Simulation.objects.exists()


@pytest.mark.parametrize("age,message", [
    ("57", "entre 58 et 70 ans"), ("71", "entre 58 et 70 ans"), ("abc", "Saisissez un âge"),
    ("", "obligatoire"),
])
def test_retirement_age_outside_the_plan_is_a_field_message(as_user, insured, age, message):
    response = as_user(insured).post(reverse("insured:simulation-retirement"),
                                     {"retirement_age": age, "lump_sum_percent": "0"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"].errors["retirement_age"]
    assert response.context["result"] is None


def test_retirement_age_below_current_age_is_refused(as_user, insured, insured_person):
    insured_person.birth_date = date(1963, 1, 1)  # 63 in 2026
    insured_person.save()
    response = as_user(insured).post(reverse("insured:simulation-retirement"),
                                     {"retirement_age": "60", "lump_sum_percent": "0"})
    assert "Vous avez déjà 63 ans" in response.content.decode()


@pytest.mark.parametrize("share", ["-5", "150", "abc"])
def test_lump_sum_share_out_of_range_is_a_field_message(as_user, insured, share):
    response = as_user(insured).post(reverse("insured:simulation-retirement"),
                                     {"retirement_age": "64", "lump_sum_percent": share})
    assert response.context["form"].errors["lump_sum_percent"]


def test_save_then_pdf_then_confirmed_request(as_user, insured):
    client = as_user(insured)
    response = client.post(reverse("insured:simulation-retirement"),
                           {"retirement_age": "62", "lump_sum_percent": "30", "save": ""})
    simulation = Simulation.objects.get()
    assert response["Location"] == reverse("insured:simulation-detail", args=[simulation.pk])
    assert simulation.kind == "retirement" and simulation.inputs["retirement_age"] == 62
    detail = client.get(response["Location"])
    assert "<svg" in detail.content.decode()
    pdf = client.get(reverse("insured:simulation-pdf", args=[simulation.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf["Content-Disposition"]
    made = client.post(reverse("insured:simulation-request", args=[simulation.pk]),
                       {"confirm": "yes"})
    request = ServiceRequest.objects.get()
    assert made["Location"] == reverse("insured:request-detail", args=[request.pk])
    assert request.case_number.startswith("D-") and request.status == "received"
    page = client.get(made["Location"]).content.decode()
    assert request.case_number in page and "Reçue" in page and "En traitement" in page
    # A second confirmation gives the same request.
    client.post(reverse("insured:simulation-request", args=[simulation.pk]), {"confirm": "yes"})
    assert ServiceRequest.objects.count() == 1


def test_buy_in_shows_maximum_and_tax_saving(as_user, insured, certificate):
    certificate.savings_capital = "100000.00"
    certificate.save()
    response = as_user(insured).post(reverse("insured:simulation-buy-in"), {
        "amount": "10'000", "pillar3a_balance": "", "marginal_tax_rate": "25",
        "wef_outstanding": "",
    })
    result = response.context["result"]
    assert result is not None, response.context["form"].errors
    assert result["tax_saving"] == "2500.00"
    assert result["capital_locked_until"]
    assert set(result["series"]) == {"without", "with"}


@pytest.mark.parametrize("field,value,message", [
    ("amount", "-100", "négatif"), ("amount", "99999999999", "dépasse"),
    ("amount", "12'000'000", "dépasse"), ("amount", "douze", "Saisissez un montant"),
    ("marginal_tax_rate", "80", "entre 0 et 60"),
])
def test_buy_in_bad_amounts_are_field_messages(as_user, insured, field, value, message):
    data = {"amount": "", "pillar3a_balance": "", "marginal_tax_rate": "", "wef_outstanding": ""}
    data[field] = value
    response = as_user(insured).post(reverse("insured:simulation-buy-in"), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])


def test_buy_in_above_the_maximum_is_explained(as_user, insured):
    response = as_user(insured).post(reverse("insured:simulation-buy-in"), {
        "amount": "5000000", "pillar3a_balance": "", "marginal_tax_rate": "",
        "wef_outstanding": ""})
    assert "dépasse le rachat maximal" in " ".join(response.context["form"].errors["amount"])


def test_buy_in_blocked_by_outstanding_wef(as_user, insured):
    response = as_user(insured).post(reverse("insured:simulation-buy-in"), {
        "amount": "", "pillar3a_balance": "", "marginal_tax_rate": "",
        "wef_outstanding": "30000"})
    assert "remboursez-le d'abord" in " ".join(response.context["form"].errors["wef_outstanding"])


def _wef(client, **data):
    payload = {"amount": "50000", "withdrawal_date": (date.today() + timedelta(days=30)
                                                      ).strftime("%d.%m.%Y"),
               "purpose": "ownership", "vested_benefit_at_50": "", "last_withdrawal_date": "",
               "spouse_consent": "on"}
    payload.update(data)
    return client.post(reverse("insured:simulation-wef"), payload)


def test_wef_simulation_reduces_the_projected_pension(as_user, insured):
    response = _wef(as_user(insured))
    result = response.context["result"]
    assert result is not None, response.context["form"].errors
    assert result["allowed"] is True
    assert float(result["pension_with"]) < float(result["pension_without"])


def test_wef_below_minimum_is_explained(as_user, insured):
    response = _wef(as_user(insured), amount="5000")
    assert "CHF 20'000" in " ".join(response.context["form"].errors["amount"])


def test_wef_too_close_to_retirement_is_explained(as_user, insured, insured_person):
    insured_person.birth_date = date(date.today().year - 63, 1, 1)
    insured_person.save()
    response = _wef(as_user(insured), vested_benefit_at_50="80000")
    errors = " ".join(response.context["form"].errors["withdrawal_date"])
    assert "3 ans qui précèdent" in errors and "Dernière date possible" in errors


def test_wef_date_in_the_past_and_last_withdrawal_in_the_future_are_refused(as_user, insured):
    response = _wef(as_user(insured), withdrawal_date="01.01.2020",
                    last_withdrawal_date=(date.today() + timedelta(days=5)).strftime("%d.%m.%Y"))
    errors = response.context["form"].errors
    assert "passée" in " ".join(errors["withdrawal_date"])
    assert "futur" in " ".join(errors["last_withdrawal_date"])


def test_wef_needs_spouse_consent_when_married(as_user, insured, insured_person):
    insured_person.civil_status = "married"
    insured_person.save()
    response = _wef(as_user(insured), spouse_consent="")
    assert response.context["form"].errors["spouse_consent"]


def test_pensioner_gets_an_explanation_not_a_form(as_user, pensioner):
    response = as_user(pensioner).get(reverse("insured:simulation-retirement"))
    assert response.status_code == 200
    assert "Vous recevez déjà une rente" in response.content.decode()
    response = as_user(pensioner).post(reverse("insured:simulation-retirement"),
                                       {"retirement_age": "66"})
    assert not Simulation.objects.exists()


def test_someone_elses_simulation_and_request_are_404(as_user, insured, other_simulation,
                                                      other_service_request):
    client = as_user(insured)
    for url in (reverse("insured:simulation-detail", args=[other_simulation.pk]),
                reverse("insured:simulation-pdf", args=[other_simulation.pk]),
                reverse("insured:request-detail", args=[other_service_request.pk])):
        assert client.get(url).status_code == 404
    assert client.post(reverse("insured:simulation-request", args=[other_simulation.pk])
                       ).status_code == 404


def test_rejected_request_shows_the_reason(as_user, insured, service_request, support):
    from simulations.services import service_request_transition

    service_request_transition(request=service_request, status="in_progress", by=support)
    service_request_transition(request=service_request, status="rejected", by=support,
                               reason="Rachat déjà effectué cette année.")
    body = as_user(insured).get(reverse("insured:request-detail", args=[service_request.pk])
                                ).content.decode()
    assert "Refusée" in body and "Rachat déjà effectué cette année." in body


def test_turning_50_before_the_withdrawal_keeps_at_least_todays_capital(
        as_user, insured, insured_person):
    today = date.today()
    insured_person.birth_date = date(today.year - 49, 1, 1)  # 49 today, 51 at the withdrawal
    insured_person.save()
    capital = insured_person.certificates.get().savings_capital  # 187'650.35
    withdrawal = date(today.year + 2, 1, 15)
    response = _wef(as_user(insured), amount="150000",
                    withdrawal_date=withdrawal.strftime("%d.%m.%Y"))
    result = response.context["result"]
    assert result is not None, response.context["form"].errors
    # Not capped at half the capital (93'825): at least today's capital counts as "at 50".
    assert float(result["max_withdrawal"]) >= float(capital) * 0.99
