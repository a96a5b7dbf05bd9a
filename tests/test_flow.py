"""Working fast (issue 15, "Flow"): save and next, previous and next within the list's filter, the
filter, search and page kept in every link; after a decision the reviewer is on the next message
of the same queue; bad filter values fall back; errors in words, tied to their field, summarised
first and focused, "Error:" in the title; "Revoked" its own state; right-to-left displays isolate
placeholders and Latin words while the saved text stays byte for byte what was typed."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.models import Approval
from portal.translation import units
from portal.translation.bidi import isolate_ltr
from tests.conftest import add_role, csrf_token, signed_in
from tests.test_review import HOW_WELL, approve, html_of, mid_of, reject, revoke, rows

ALL_TITLE = "Treatment for relapsed ALL"  # "ALL" must stay as written
DATE_LINE = "Last reviewed: %(date)s"  # site text with a placeholder


def list_ids(client, url: str) -> list[tuple[str, str]]:
    """(message id, query string) of each message link of the translator's list."""
    found = re.findall(r'<a href="/translate/es/m/([0-9a-f]{16})(?:\?([^"]*))?" lang="en"', html_of(client, url))
    return [(mid, query.replace("&amp;", "&")) for mid, query in found]


def base_of(client, url: str) -> str:
    return re.search(r'name="base" value="(\d+)"', html_of(client, url)).group(1)


def save(client, url: str, text: str | list[str], then: str | None = None):
    forms = [text] if isinstance(text, str) else text
    data = {"csrf_token": csrf_token(client, url), "base": base_of(client, url),
            **{f"form{i}": form for i, form in enumerate(forms)}}
    if then:
        data["then"] = then
    return client.post(url, data=data)


def query_of(location: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def test_save_and_next_goes_to_the_next_message_of_the_filtered_list(people, tina):
    listed = list_ids(tina, "/translate/es/?q=treatment")
    assert len(listed) >= 3 and all(query == "q=treatment" for _, query in listed)
    first, second = listed[0][0], listed[1][0]
    url = f"/translate/es/m/{first}?q=treatment"
    page = html_of(tina, url)
    assert 'name="then" value="next"' in page and ">Save and next</button>" in page and ">Save</button>" in page
    assert f'href="/translate/es/m/{second}?q=treatment" rel="next"' in page
    with people.session() as session:
        english = units.get(session, "es", first).msgid
    response = save(tina, url, "Tratamiento (prueba)" if "ALL" not in english else "Tratamiento de la ALL", "next")
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    assert urlsplit(response.location).path == f"/translate/es/m/{second}"
    assert query_of(response.location) == {"q": "treatment"}
    landed = html_of(tina, response.location)
    assert "Saved." in landed and "This is the next message of your list." in landed
    assert f'href="/translate/es/m/{first}?q=treatment" rel="prev"' in landed
    # Plain "Save" stays on the message, the search kept.
    response = save(tina, f"/translate/es/m/{second}?q=treatment", "Tratamiento (otra prueba)")
    assert response.status_code == 302 and urlsplit(response.location).path == f"/translate/es/m/{second}"
    assert query_of(response.location) == {"q": "treatment"}


def test_filter_search_and_page_are_kept_in_every_link(people, tina):
    url = "/translate/es/?state=untranslated&q=the&page=2"
    listed = list_ids(tina, url)
    assert listed, "page 2 of the filter is empty: the test needs more than 50 matches"
    assert all(query_of("?" + query) == {"state": "untranslated", "q": "the", "page": "2"} for _, query in listed)
    mid = listed[3][0]
    page = html_of(tina, f"/translate/es/m/{mid}?state=untranslated&q=the&page=2")
    back = re.search(r'<a href="([^"]*)">Back to the es messages \(your filter\)</a>', page)
    assert back and query_of(back.group(1).replace("&amp;", "&")) == {"state": "untranslated", "q": "the", "page": "2"}
    for rel, neighbour in (("prev", listed[2][0]), ("next", listed[4][0])):
        link = re.search(rf'<a href="/translate/es/m/{neighbour}\?([^"]*)" rel="{rel}"', page)
        assert link and query_of("?" + link.group(1).replace("&amp;", "&"))["q"] == "the", rel
    # The last message of page 1 has its next one on page 2: the link says so.
    first_page = list_ids(tina, "/translate/es/?state=untranslated&q=the")
    page = html_of(tina, f"/translate/es/m/{first_page[-1][0]}?state=untranslated&q=the")
    link = re.search(r'<a href="/translate/es/m/[0-9a-f]{16}\?([^"]*)" rel="next"', page)
    assert query_of("?" + link.group(1).replace("&amp;", "&")).get("page") == "2"


@pytest.mark.parametrize("query", ["state=bogus&warnings=zz&page=abc", "page=-3&q=" + "x" * 500,
                                   "page=99999999999999999999", "state=%3Cscript%3E&page=1e9", "page=%20&warnings=1"])
def test_bad_filter_values_fall_back_to_the_defaults(people, tina, rita, query):
    tina_list = html_of(tina, f"/translate/es/?{query}")
    assert "<script>" not in tina_list and "bogus" not in tina_list.split('id="q"')[0]
    mid = list_ids(tina, "/translate/es/")[0][0]
    message = html_of(tina, f"/translate/es/m/{mid}?{query}")
    assert "bogus" not in message and "page=-3" not in message and "99999999999999999999" not in message
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tom")
    html_of(rita, f"/review/es/?{query.replace('state', 'show')}")
    html_of(rita, f"/review/es/m/{mid_of(HOW_WELL)}?{query.replace('state', 'show')}")


def test_after_a_decision_the_reviewer_is_on_the_next_message_of_the_same_queue(people, rita):
    texts = {"Chemotherapy and other medicines your child may get": "Quimioterapia y otros medicamentos que puede recibir",
             "Newer kinds of treatment": "Tipos más nuevos de tratamiento",
             "Risks of strong treatment": "Riesgos del tratamiento fuerte"}
    for msgid, text in texts.items():
        people.translate("es", msgid, text, author="tom")
    queue = re.findall(r'<a href="/review/es/m/([0-9a-f]{16})(?:\?[^"]*)?" lang="en"', html_of(rita, "/review/es/"))
    assert len(queue) == 3
    response = approve(rita, next(m for m in texts if mid_of(m) == queue[0]))
    assert response.status_code == 302 and urlsplit(response.location).path == f"/review/es/m/{queue[1]}"
    landed = html_of(rita, response.location)
    assert "Approved and published" in landed and "This is the next message of the queue." in landed
    response = reject(rita, next(m for m in texts if mid_of(m) == queue[1]), "Más sencillo, por favor.")
    assert response.status_code == 302 and urlsplit(response.location).path == f"/review/es/m/{queue[2]}"
    assert "Rejected." in html_of(rita, response.location)
    # The last one: back on the queue, saying so; the filter kept.
    last = next(m for m in texts if mid_of(m) == queue[2])
    url = f"/review/es/m/{queue[2]}?show=new"
    seen = re.search(r'name="seen" type="hidden" value="([0-9a-f]{64})"', html_of(rita, url)).group(1)
    response = rita.post(f"/review/es/m/{mid_of(last)}/approve?show=new",
                         data={"csrf_token": csrf_token(rita, url), "seen": seen, "note": ""})
    assert response.status_code == 302 and urlsplit(response.location).path == "/review/es/"
    assert query_of(response.location) == {"show": "new"}
    assert "No message after that one waits in this list." in html_of(rita, response.location)


def _numbered_message(people) -> units.Unit:
    with people.session() as session:
        for unit in session.scalars(units.live("es").where(units.Unit.msgid_plural == "")):
            if re.search(r"\b15\b|\b\d{2}\b", unit.msgid) and "](" not in unit.msgid and "%" not in unit.msgid:
                return unit
    raise AssertionError("no message with a number")


def test_a_refused_save_names_the_problem_ties_it_to_the_box_and_comes_first(people, tina):
    unit = _numbered_message(people)
    number = re.search(r"\b\d{2}\b", unit.msgid).group()
    wrong = str(int(number) + 1)
    response = save(tina, f"/translate/es/m/{unit.mid}", re.sub(rf"\b{number}\b", wrong, unit.msgid))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert re.search(r"<title>Error: ", html)
    assert f"The English has {number}; your translation has {wrong}. Use the same number." in html
    assert "missing [" not in html and "extra [" not in html
    summary = re.search(r'<div class="error-summary" role="alert" tabindex="-1" id="error-summary" autofocus>(.*?)</div>',
                        html, re.S)
    assert summary and 'href="#form0"' in summary.group(1)
    main = html.split('<main id="main"', 1)[1]
    assert main.index('id="error-summary"') < main.index("<h1") < main.index("<textarea")
    box = re.search(r"<textarea [^>]*>", html).group()
    assert 'aria-invalid="true"' in box and 'aria-describedby="form0-error"' in box
    assert re.search(rf'id="form0-error"><p>The English has {number}', html)


def test_login_errors_are_summarised_linked_and_in_the_title(app, people):
    client = app.test_client()
    response = client.post("/login", data={"csrf_token": csrf_token(client), "username": "", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "<title>Error: Log in" in html
    assert 'id="error-summary"' in html and 'href="#username">Enter your username.' in html
    assert 'href="#password">Enter your password.' in html
    assert re.search(r'<input [^>]*aria-describedby="username-error"[^>]*aria-invalid="true"|'
                     r'<input [^>]*aria-invalid="true"[^>]*aria-describedby="username-error"', html)
    response = client.post("/login", data={"csrf_token": csrf_token(client), "username": "tina", "password": "nope"})
    html = response.get_data(as_text=True)
    assert response.status_code == 401 and "<title>Error: Log in" in html
    assert re.search(r'id="error-summary" autofocus>.*href="#username">That username and password do not match', html,
                     re.S)
    assert "<title>Log in" in html_of(app.test_client(), "/login")


def test_people_and_account_forms_summarise_their_errors(app, people):
    ada = signed_in(app, "ada")
    url = "/admin/people/new"
    response = ada.post(url, data={"csrf_token": csrf_token(ada, url), "username": "", "display_name": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "<title>Error: Add a person" in html
    assert 'href="#username">Enter a username.' in html and 'href="#display_name">Enter a display name.' in html
    tina = signed_in(app, "tina")
    response = tina.post("/account", data={"csrf_token": csrf_token(tina, "/account"), "current": "", "new": "short",
                                           "confirm": "other"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "<title>Error: Your account" in html
    assert 'href="#current">Enter your current password.' in html and 'href="#new">Use at least 10 characters.' in html
    assert html.split('<main id="main"', 1)[1].index('id="error-summary"') < html.index("<h1>")


def test_a_blank_reason_is_the_apps_own_message_tied_to_its_field(people, rita):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tom")
    page = html_of(rita, f"/review/es/m/{mid_of(HOW_WELL)}")
    assert re.search(r'<form method="post" action="/review/es/m/[0-9a-f]{16}/reject" novalidate>', page)
    approve_at, reject_at = page.index('class="button button-approve"'), page.index('class="button button-reject"')
    assert approve_at < reject_at and page.count('<section class="decision ') == 2
    response = reject(rita, HOW_WELL, "   ")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "<title>Error: " in html
    assert 'href="#reject-reason">Nothing was recorded. Give a reason' in html
    assert re.search(r'<textarea [^>]*aria-describedby="reject-reason-error"', html)


def test_revoked_has_its_own_label_in_the_list_and_the_queue(people, rita, rob, tina):
    people.translate("es", HOW_WELL, "Qué tan bien funciona", author="tina")
    assert approve(rita, HOW_WELL).status_code == 302
    [approval] = rows(people, Approval)
    assert revoke(rita, HOW_WELL, approval.id, "Falta decir que es el tratamiento.").status_code == 302
    assert people.unit("es", HOW_WELL).state == "revoked"
    listed = html_of(tina, "/translate/es/?state=revoked")
    assert '<span class="state state-revoked">Approval revoked</span>' in listed and mid_of(HOW_WELL) in listed
    assert 'state-rejected">Rejected' not in listed
    queue = html_of(rita, "/review/es/?show=rejected")
    assert '<span class="state state-revoked">Approval revoked</span>' in queue
    # The latest decision decides: rejected after the revocation, it is "rejected".
    assert reject(rob, HOW_WELL, "Sigue faltando.").status_code == 302
    assert people.unit("es", HOW_WELL).state == "rejected"
    assert '<span class="state state-rejected">Rejected</span>' in html_of(rita, "/review/es/?show=rejected")


def test_right_to_left_displays_isolate_placeholders_and_latin_and_the_saved_text_is_unchanged(app, people):
    add_role(people, "tina", "translator", "ar")
    add_role(people, "rob", "reviewer", "ar")
    tina, rob = signed_in(app, "tina"), signed_in(app, "rob")
    typed = {DATE_LINE: "آخر مراجعة: %(date)s", ALL_TITLE: "علاج ALL بعد عودته"}
    for msgid, text in typed.items():
        mid = people.unit("ar", msgid).mid
        response = save(tina, f"/translate/ar/m/{mid}", text)
        assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
        saved = people.unit("ar", msgid).forms[0]
        assert saved.encode() == text.encode()  # byte-identical: isolation is display only
        page = html_of(tina, f"/translate/ar/m/{mid}")
        box = re.search(r'<textarea id="form0"[^>]*>([^<]*)</textarea>', page)
        assert 'dir="rtl"' in box.group() and box.group(1) == text  # the box holds the text as saved
        assert "How this reads" in page
        isolated = "%(date)s" if "%(" in text else "ALL"
        assert f'<bdi dir="ltr">{isolated}</bdi>' in page
        review = html_of(rob, f"/review/ar/m/{mid}")
        assert f'<bdi dir="ltr">{isolated}</bdi>' in review
    assert '<bdi dir="ltr">%(date)s</bdi>' in html_of(tina, "/translate/ar/?q=date")
    # Escaped first: markup typed into a text stays text.
    assert isolate_ltr("<b>ALL</b> & %(num)s") == '&lt;<bdi dir="ltr">b</bdi>&gt;<bdi dir="ltr">ALL</bdi>&lt;/' \
        '<bdi dir="ltr">b</bdi>&gt; &amp; <bdi dir="ltr">%(num)s</bdi>'
    assert isolate_ltr("Hola ALL", "ltr") == "Hola ALL"
